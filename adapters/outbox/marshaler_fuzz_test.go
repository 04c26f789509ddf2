package outbox_test

import (
	"bytes"
	"maps"
	"testing"

	"github.com/orderflow/orders/adapters/outbox"
)

// FuzzFrame reads any stored envelope (a frame, the JSON of older rows, or
// neither) and frames any message: Unmarshal never panics, and what it
// reads, like any envelope, frames and reads back unchanged.
func FuzzFrame(f *testing.F) {
	frame, err := outbox.Marshaler{}.Marshal(&outbox.Envelope{
		DestinationTopic: "orders.events", UUID: "e-1", Payload: []byte(`{"event_id":"e-1"}`),
		Metadata: map[string]string{"name": "OrderPlaced", "partition_key": "o-1"},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(frame, "orders.events", "e-1", []byte(`{}`), "name", "OrderPlaced")
	f.Add([]byte(`{"destination_topic":"t","uuid":"u","payload":"e30=","metadata":{"k":"v"}}`), "", "", []byte{}, "", "")
	f.Add([]byte("\x00ob\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), "t", "", []byte(nil), "", "")
	f.Add([]byte("\x00ob\x01\x00\x00\x05"), "", "u", []byte{0}, "k", "")
	f.Add([]byte("\x00ob\x01\x01t\x01u\x01\x01k"), "t", "u", []byte("p"), "", "v")
	f.Fuzz(func(t *testing.T, stored []byte, dest, uuid string, payload []byte, key, value string) {
		var read outbox.Envelope
		if err := (outbox.Marshaler{}).Unmarshal(stored, &read); err == nil {
			requireRoundTrip(t, read)
		}
		requireRoundTrip(t, outbox.Envelope{DestinationTopic: dest, UUID: uuid, Payload: payload, Metadata: map[string]string{key: value}})
	})
}

func requireRoundTrip(t *testing.T, env outbox.Envelope) {
	t.Helper()
	framed, err := outbox.Marshaler{}.Marshal(&env)
	if err != nil {
		t.Fatalf("Marshal %+v: %v", env, err)
	}
	var back outbox.Envelope
	if err := (outbox.Marshaler{}).Unmarshal(framed, &back); err != nil {
		t.Fatalf("Unmarshal of a frame %q: %v", framed, err)
	}
	if back.DestinationTopic != env.DestinationTopic || back.UUID != env.UUID || !bytes.Equal(back.Payload, env.Payload) ||
		!maps.Equal(back.Metadata, env.Metadata) {
		t.Fatalf("round trip: %+v became %+v", env, back)
	}
}
