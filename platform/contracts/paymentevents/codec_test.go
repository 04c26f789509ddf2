package paymentevents_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/orderflow/orders/platform/contracts/envelope"
	"github.com/orderflow/orders/platform/contracts/paymentevents"
)

func TestEveryEventRoundTripsThroughItsMessage(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, e := range []paymentevents.Event{
		paymentevents.PaymentCaptured{PaymentID: "p", Amount: 10, Currency: "EUR"},
		paymentevents.PaymentDeclined{Reason: "limit"},
		paymentevents.PaymentRefunded{PaymentID: "p", RefundID: "r", Amount: 10, Currency: "EUR"},
	} {
		t.Run(e.EventType(), func(t *testing.T) {
			env, err := paymentevents.Encode("event-1", "order-1", at, e)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := env.Message()
			if err != nil {
				t.Fatal(err)
			}
			if msg.UUID != "event-1" || msg.Metadata.Get("name") != e.EventType() || msg.Metadata.Get("partition_key") != "order-1" {
				t.Errorf("message %s, metadata %v", msg.UUID, msg.Metadata)
			}
			back, err := envelope.FromMessage(msg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := paymentevents.Decode(back)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, e) || !back.OccurredAt.Equal(at) || back.OrderID != "order-1" {
				t.Errorf("round trip = %#v in %+v", got, back)
			}
		})
	}
}

func TestUnreadableEnvelopes(t *testing.T) {
	for name, env := range map[string]envelope.Envelope{
		"unknown type":   {EventType: "PaymentTeleported", SchemaVersion: 1, Data: json.RawMessage(`{}`)},
		"future version": {EventType: paymentevents.PaymentCapturedType, SchemaVersion: 2, Data: json.RawMessage(`{}`)},
		"bad data":       {EventType: paymentevents.PaymentCapturedType, SchemaVersion: 1, Data: json.RawMessage(`{"amount":"ten"}`)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := paymentevents.Decode(env); err == nil {
				t.Errorf("Decode accepted it")
			}
		})
	}
}
