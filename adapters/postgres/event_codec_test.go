package postgres

import (
	"reflect"
	"testing"

	"github.com/orderflow/orders/domain/order"
)

func TestEveryStoredEventRoundTrips(t *testing.T) {
	events := []order.Event{
		order.OrderPlaced{CustomerID: "c", Currency: "EUR", Total: 30, Items: []order.EventItem{{SKU: "A", Quantity: 3, UnitPrice: 10, Subtotal: 30}}},
		order.OrderStockReserved{Currency: "EUR", Total: 30},
		order.OrderStockRejected{Reason: "A short by 1"},
		order.OrderPaymentCaptured{PaymentID: "p-1", Amount: 30},
		order.OrderPaymentDeclined{Reason: "limit"},
		order.OrderConfirmed{},
		order.OrderCancelled{Reason: order.CancelledByCustomer, Detail: "changed my mind"},
		order.OrderShipped{},
	}
	for _, e := range events {
		t.Run(e.EventType(), func(t *testing.T) {
			eventType, version, data, err := encodeEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeEvent(eventType, version, data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, e) {
				t.Errorf("round trip = %#v, want %#v", got, e)
			}
		})
	}
}

// TestStoredOrderStockReservedWithoutTheTotalReads reads OrderStockReserved
// as it was stored before it carried the order's total: the same schema
// version, the total zero.
func TestStoredOrderStockReservedWithoutTheTotalReads(t *testing.T) {
	got, err := decodeEvent(order.OrderStockReservedType, 1, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if got != (order.OrderStockReserved{}) {
		t.Errorf("decoded %#v, want no total", got)
	}
}

// TestStoredOrderPlacedV1IsUpcast reads OrderPlaced exactly as schema version 1
// stored it (no item subtotals) with the current code.
func TestStoredOrderPlacedV1IsUpcast(t *testing.T) {
	v1 := []byte(`{"customer_id":"c-1","currency":"EUR","items":[{"sku":"BOOK","quantity":2,"unit_price":1299},{"sku":"PEN","quantity":3,"unit_price":150}],"total":3048}`)

	got, err := decodeEvent(order.OrderPlacedType, 1, v1)
	if err != nil {
		t.Fatal(err)
	}

	want := order.OrderPlaced{CustomerID: "c-1", Currency: "EUR", Total: 3048, Items: []order.EventItem{
		{SKU: "BOOK", Quantity: 2, UnitPrice: 1299, Subtotal: 2598},
		{SKU: "PEN", Quantity: 3, UnitPrice: 150, Subtotal: 450},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("upcast v1 = %+v, want %+v", got, want)
	}
}

func TestUnreadableStoredEventsAreErrors(t *testing.T) {
	tests := []struct {
		name      string
		eventType string
		version   int
		data      string
	}{
		{"unknown type", "OrderTeleported", 1, `{}`},
		{"future schema version", order.OrderPlacedType, 3, `{}`},
		{"schema version zero", order.OrderShippedType, 0, `{}`},
		{"not JSON", order.OrderCancelledType, 1, `{`},
		{"v1 with an overflowing line", order.OrderPlacedType, 1, `{"items":[{"sku":"A","quantity":9223372036854775807,"unit_price":2}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeEvent(tt.eventType, tt.version, []byte(tt.data)); err == nil {
				t.Errorf("Unmarshal accepted it")
			}
		})
	}
}
