package envelope_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/platform/contracts/envelope"
	"github.com/orderflow/orders/platform/contracts/inventoryevents"
	"github.com/orderflow/orders/platform/contracts/paymentevents"
)

// FuzzFromMessage reads any message: FromMessage never panics, an
// envelope it reads agrees with its message, and the envelope's own
// message reads back to the same envelope.
func FuzzFromMessage(f *testing.F) {
	f.Add("e", "OrderShipped", []byte(`{"event_id":"e","event_type":"OrderShipped","schema_version":1,"order_id":"o","version":3,"occurred_at":"2026-11-27T18:20:40.274585Z","data":{}}`))
	f.Add("e", "", []byte(`{"event_id":"e","event_type":"StockReserved","schema_version":1,"order_id":"o","occurred_at":"2026-11-27T18:20:40Z","data":{"lines":[]}}`))
	f.Add("", "", []byte(`{}`))
	f.Add("e", "", []byte(`null`))
	f.Add("e", "X", []byte(`{"event_id":"e","event_type":"Y"}`))
	f.Add("e", "", []byte(`{"event_id":"e","occurred_at":"not a time"}`))
	f.Fuzz(func(t *testing.T, uuid, name string, payload []byte) {
		msg := message.NewMessage(uuid, payload)
		if name != "" {
			msg.Metadata.Set(envelope.MetadataEventName, name)
		}
		env, err := envelope.FromMessage(msg)
		if err != nil {
			return
		}
		if env.EventID != uuid || uuid == "" || (name != "" && env.EventType != name) {
			t.Fatalf("message %q named %q read as %+v", uuid, name, env)
		}
		again, err := env.Message()
		if err != nil {
			t.Fatalf("Message of a read envelope: %v", err)
		}
		back, err := envelope.FromMessage(again)
		if err != nil {
			t.Fatalf("FromMessage of an envelope's message: %v", err)
		}
		if !sameEnvelope(back, env) {
			t.Fatalf("round trip: %+v became %+v", env, back)
		}
	})
}

func sameEnvelope(a, b envelope.Envelope) bool {
	a.OccurredAt, b.OccurredAt = a.OccurredAt.UTC(), b.OccurredAt.UTC()
	return a.OccurredAt.Equal(b.OccurredAt) && a.EventID == b.EventID && a.EventType == b.EventType &&
		a.SchemaVersion == b.SchemaVersion && a.OrderID == b.OrderID && a.Version == b.Version && jsonEqual(a.Data, b.Data)
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	errA, errB := json.Unmarshal(a, &x), json.Unmarshal(b, &y)
	return (errA != nil && errB != nil) || (errA == nil && errB == nil && reflect.DeepEqual(x, y))
}

// FuzzOutcomeEvents reads any data as any event type and schema version of
// the inventory's and the payment service's contracts: no panic, an error
// for anything that is not a whole event of the type, and a round trip
// for what is.
func FuzzOutcomeEvents(f *testing.F) {
	for _, seed := range []struct {
		eventType string
		data      string
	}{
		{inventoryevents.StockReservedType, `{"lines":[{"sku":"A","quantity":2}]}`},
		{inventoryevents.StockRejectedType, `{"reason":"short","shortages":[{"sku":"A","requested":2,"available":1}]}`},
		{inventoryevents.StockRejectedType, `{"reason":"short","shortages":null}`},
		{inventoryevents.StockReleasedType, `{"lines":[{"sku":"A"}]}`},
		{inventoryevents.StockCommittedType, `{"lines":null}`},
		{paymentevents.PaymentCapturedType, `{"payment_id":"p","amount":10,"currency":"EUR"}`},
		{paymentevents.PaymentCapturedType, `{"payment_id":"p","amount":"ten","currency":"EUR"}`},
		{paymentevents.PaymentDeclinedType, `{"reason":"limit"}`},
		{paymentevents.PaymentRefundedType, `{"payment_id":"p","refund_id":"r","amount":10}`},
		{paymentevents.PaymentRefundedType, `null`},
	} {
		f.Add(seed.eventType, 1, []byte(seed.data))
	}
	f.Add(inventoryevents.StockReservedType, 2, []byte(`{"lines":[]}`))
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, eventType string, version int, data []byte) {
		in := envelope.Envelope{EventType: eventType, SchemaVersion: version, Data: data}
		if inventoryevents.Known(eventType) {
			roundTrip(t, in, inventoryevents.Decode, func(e inventoryevents.Event) (envelope.Envelope, error) {
				return inventoryevents.Encode("event-1", "order-1", at, e)
			})
		} else {
			roundTrip(t, in, paymentevents.Decode, func(e paymentevents.Event) (envelope.Envelope, error) {
				return paymentevents.Encode("event-1", "order-1", at, e)
			})
		}
	})
}

func roundTrip[E interface{ EventType() string }](t *testing.T, in envelope.Envelope, decode func(envelope.Envelope) (E, error), encode func(E) (envelope.Envelope, error)) {
	t.Helper()
	e, err := decode(in)
	if err != nil {
		return
	}
	if e.EventType() != in.EventType || !json.Valid(in.Data) {
		t.Fatalf("Decode read %s v%d %q as %#v", in.EventType, in.SchemaVersion, in.Data, e)
	}
	env, err := encode(e)
	if err != nil {
		t.Fatalf("Encode of a decoded event: %v", err)
	}
	back, err := decode(env)
	if err != nil {
		t.Fatalf("Decode of an encoded event %s: %v", env.Data, err)
	}
	if !reflect.DeepEqual(back, e) {
		t.Fatalf("round trip: %#v became %#v", e, back)
	}
}
