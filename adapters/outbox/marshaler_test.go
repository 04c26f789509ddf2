package outbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/orderflow/orders/adapters/outbox"
)

// forwardThrough publishes msg to "dest" through Watermill's real forwarder
// publisher (with marshaler) into an in-memory "outbox" topic, and returns
// the stored frame and the message Watermill's real forwarder, reading the
// frame with outbox.Marshaler, publishes to "dest".
func forwardThrough(t *testing.T, marshaler forwarder.Marshaler, msg *message.Message) (frame []byte, forwarded *message.Message) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	logger := watermill.NopLogger{}
	pubsub := gochannel.NewGoChannel(gochannel.Config{Persistent: true}, logger)
	defer func() { _ = pubsub.Close() }()
	stored, err := pubsub.Subscribe(ctx, "outbox")
	if err != nil {
		t.Fatal(err)
	}
	out, err := pubsub.Subscribe(ctx, "dest")
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := forwarder.NewForwarder(pubsub, pubsub, logger, forwarder.Config{ForwarderTopic: "outbox", Marshaler: outbox.Marshaler{}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = fwd.Run(ctx) }()
	defer func() { _ = fwd.Close() }()
	<-fwd.Running()

	pub := forwarder.NewPublisher(pubsub, forwarder.PublisherConfig{ForwarderTopic: "outbox", Marshaler: marshaler})
	if err := pub.Publish("dest", msg); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []<-chan *message.Message{stored, out} {
		select {
		case m := <-ch:
			m.Ack()
			if frame == nil {
				frame = m.Payload
			} else {
				forwarded = m
			}
		case <-ctx.Done():
			t.Fatal("nothing forwarded")
		}
	}
	return frame, forwarded
}

func testMessage() *message.Message {
	msg := message.NewMessage("0d8b6c1e-uuid", []byte(`{"event_type":"OrderPlaced","data":{"note":"caf\u00e9 \"quoted\""}}`))
	msg.Metadata.Set("name", "OrderPlaced")
	msg.Metadata.Set(outbox.MetadataPartitionKey, "order-1")
	return msg
}

func checkForwarded(t *testing.T, want, got *message.Message) {
	t.Helper()
	if got.UUID != want.UUID || !bytes.Equal(got.Payload, want.Payload) || !maps.Equal(got.Metadata, want.Metadata) {
		t.Errorf("forwarded %s %q %v, want %s %q %v", got.UUID, got.Payload, got.Metadata, want.UUID, want.Payload, want.Metadata)
	}
}

func TestTheFrameKeepsThePayloadRawThroughWatermillsForwarder(t *testing.T) {
	msg := testMessage()
	frame, forwarded := forwardThrough(t, outbox.Marshaler{}, msg)
	checkForwarded(t, msg, forwarded)
	if !bytes.HasSuffix(frame, msg.Payload) {
		t.Errorf("frame %q does not end with the payload as it is", frame)
	}
	var env outbox.Envelope
	if err := (outbox.Marshaler{}).Unmarshal(frame, &env); err != nil {
		t.Fatal(err)
	}
	if &env.Payload[0] != &frame[len(frame)-len(msg.Payload)] {
		t.Error("the payload was copied out of the frame, not sliced")
	}
}

func TestTheJSONEnvelopeOfRowsWrittenBeforeFramesIsStillRead(t *testing.T) {
	msg := testMessage()
	frame, forwarded := forwardThrough(t, forwarder.DefaultMarshaler{}, msg)
	if !json.Valid(frame) {
		t.Fatalf("the default marshaler wrote %q", frame)
	}
	checkForwarded(t, msg, forwarded)
}

func TestMarshalerRefusesWhatIsNotAnEnvelope(t *testing.T) {
	var m outbox.Marshaler
	good, err := m.Marshal(&outbox.Envelope{DestinationTopic: "dest", UUID: "u", Payload: []byte("p"), Metadata: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, data := range [][]byte{[]byte("garbage"), good[:6], append(good[:4:4], 0xff)} {
		if err := m.Unmarshal(data, &outbox.Envelope{}); err == nil {
			t.Errorf("Unmarshal(%q): no error", data)
		}
	}
	if _, err := m.Marshal(&struct{ A, B string }{}); err == nil {
		t.Error("Marshal of another struct: no error")
	}
	if err := m.Unmarshal(good, map[string]any{}); err == nil {
		t.Error("Unmarshal into a map: no error")
	}
}
