package outcomecodec_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/orderflow/orders/adapters/outcomecodec"
	"github.com/orderflow/orders/domain/inventory"
	"github.com/orderflow/orders/domain/payment"
)

func TestEveryEventRoundTripsThroughItsMessage(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, e := range []outcomecodec.Event{
		inventory.StockReserved{Lines: []inventory.Line{{SKU: "A", Quantity: 2}}},
		inventory.StockRejected{Reason: "short", Shortages: []inventory.Shortage{{SKU: "A", Requested: 2, Available: 1}}},
		inventory.StockReleased{Lines: []inventory.Line{{SKU: "A", Quantity: 2}}},
		inventory.StockCommitted{Lines: []inventory.Line{{SKU: "A", Quantity: 2}}},
		payment.PaymentCaptured{PaymentID: "p", Amount: 10, Currency: "EUR"},
		payment.PaymentDeclined{Reason: "limit"},
		payment.PaymentRefunded{PaymentID: "p", RefundID: "r", Amount: 10, Currency: "EUR"},
	} {
		t.Run(e.EventType(), func(t *testing.T) {
			env, err := outcomecodec.NewEnvelope("order-1", at, e)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := env.Message()
			if err != nil {
				t.Fatal(err)
			}
			if msg.UUID != env.EventID || msg.Metadata.Get("name") != e.EventType() || msg.Metadata.Get("partition_key") != "order-1" {
				t.Errorf("message %s, metadata %v", msg.UUID, msg.Metadata)
			}
			var back outcomecodec.Envelope
			if err := json.Unmarshal(msg.Payload, &back); err != nil {
				t.Fatal(err)
			}
			got, err := back.Decode()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, e) || !back.OccurredAt.Equal(at) || back.OrderID != "order-1" {
				t.Errorf("round trip = %#v at %v", got, back.OccurredAt)
			}
		})
	}
}

func TestUnreadableEnvelopes(t *testing.T) {
	for name, env := range map[string]outcomecodec.Envelope{
		"unknown type":   {EventType: "StockTeleported", SchemaVersion: 1, Data: json.RawMessage(`{}`)},
		"future version": {EventType: inventory.StockReservedType, SchemaVersion: 2, Data: json.RawMessage(`{}`)},
		"bad data":       {EventType: payment.PaymentCapturedType, SchemaVersion: 1, Data: json.RawMessage(`{"amount":"ten"}`)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := env.Decode(); err == nil {
				t.Errorf("Decode accepted it")
			}
		})
	}
}
