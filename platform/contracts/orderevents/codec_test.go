package orderevents_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/orderflow/orders/platform/contracts/envelope"
	"github.com/orderflow/orders/platform/contracts/orderevents"
)

func TestEveryEventRoundTripsThroughItsMessage(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	events := []orderevents.Event{
		orderevents.OrderPlaced{CustomerID: "c", Currency: "EUR", Total: 30, Items: []orderevents.Item{{SKU: "A", Quantity: 3, UnitPrice: 10, Subtotal: 30}}},
		orderevents.OrderStockReserved{Currency: "EUR", Total: 30},
		orderevents.OrderStockRejected{Reason: "A short by 1"},
		orderevents.OrderPaymentCaptured{PaymentID: "p-1", Amount: 30},
		orderevents.OrderPaymentDeclined{Reason: "limit"},
		orderevents.OrderConfirmed{},
		orderevents.OrderCancelled{Reason: "customer_request", Detail: "changed my mind"},
		orderevents.OrderShipped{},
	}
	for i, e := range events {
		t.Run(e.EventType(), func(t *testing.T) {
			env, err := orderevents.Encode("event-1", "order-1", i+1, at, e)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := env.Message()
			if err != nil {
				t.Fatal(err)
			}
			back, err := envelope.FromMessage(msg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := orderevents.Decode(back)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, e) || back.Version != i+1 || back.OrderID != "order-1" || !back.OccurredAt.Equal(at) {
				t.Errorf("round trip = %#v in %+v", got, back)
			}
		})
	}
}

// TestOrderPlacedV1IsUpcast reads OrderPlaced exactly as schema version 1
// wrote it (no item subtotals) with the current code.
func TestOrderPlacedV1IsUpcast(t *testing.T) {
	v1 := json.RawMessage(`{"customer_id":"c-1","currency":"EUR","items":[{"sku":"BOOK","quantity":2,"unit_price":1299},{"sku":"PEN","quantity":3,"unit_price":150}],"total":3048}`)

	got, err := orderevents.Decode(envelope.Envelope{EventType: orderevents.OrderPlacedType, SchemaVersion: 1, Data: v1})
	if err != nil {
		t.Fatal(err)
	}

	want := orderevents.OrderPlaced{CustomerID: "c-1", Currency: "EUR", Total: 3048, Items: []orderevents.Item{
		{SKU: "BOOK", Quantity: 2, UnitPrice: 1299, Subtotal: 2598},
		{SKU: "PEN", Quantity: 3, UnitPrice: 150, Subtotal: 450},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("upcast v1 = %+v, want %+v", got, want)
	}
}

// TestOrderStockReservedV1IsUpcast reads OrderStockReserved as schema
// version 1 wrote it, without the total: it reads as not carrying one.
func TestOrderStockReservedV1IsUpcast(t *testing.T) {
	got, err := orderevents.Decode(envelope.Envelope{EventType: orderevents.OrderStockReservedType, SchemaVersion: 1, Data: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got != (orderevents.OrderStockReserved{}) {
		t.Errorf("decoded %#v, want no currency and no total", got)
	}
	v2, err := orderevents.Decode(envelope.Envelope{EventType: orderevents.OrderStockReservedType, SchemaVersion: 2, Data: json.RawMessage(`{"currency":"EUR","total":30}`)})
	if err != nil {
		t.Fatal(err)
	}
	if e := v2.(orderevents.OrderStockReserved); e.Currency != "EUR" || e.Total != 30 {
		t.Errorf("decoded %#v, want a total of 30 EUR to charge", e)
	}
}

func TestUnreadableEventsAreErrors(t *testing.T) {
	tests := []struct {
		name      string
		eventType string
		version   int
		data      string
	}{
		{"unknown type", "OrderTeleported", 1, `{}`},
		{"future schema version", orderevents.OrderPlacedType, 3, `{}`},
		{"schema version zero", orderevents.OrderShippedType, 0, `{}`},
		{"not JSON", orderevents.OrderCancelledType, 1, `{`},
		{"v1 with an overflowing line", orderevents.OrderPlacedType, 1, `{"items":[{"sku":"A","quantity":9223372036854775807,"unit_price":2}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := envelope.Envelope{EventType: tt.eventType, SchemaVersion: tt.version, Data: json.RawMessage(tt.data)}
			if _, err := orderevents.Decode(env); err == nil {
				t.Errorf("Decode accepted it")
			}
		})
	}
}
