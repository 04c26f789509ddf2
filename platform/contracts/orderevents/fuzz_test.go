package orderevents_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/orderflow/orders/platform/contracts/envelope"
	"github.com/orderflow/orders/platform/contracts/orderevents"
)

// FuzzDecode reads any data as any event type and schema version: Decode
// never panics, refuses what is not an event of the type (an error, never
// a zero value read from a missing or null field), and what it reads
// encodes and decodes back to the same event.
func FuzzDecode(f *testing.F) {
	for _, seed := range []struct {
		eventType string
		version   int
		data      string
	}{
		{orderevents.OrderPlacedType, 2, `{"customer_id":"c","currency":"EUR","items":[{"sku":"A","quantity":3,"unit_price":10,"subtotal":30}],"total":30}`},
		{orderevents.OrderPlacedType, 1, `{"customer_id":"c-1","currency":"EUR","items":[{"sku":"BOOK","quantity":2,"unit_price":1299}],"total":2598}`},
		{orderevents.OrderPlacedType, 1, `{"customer_id":"c","currency":"EUR","items":[null],"total":0}`},
		{orderevents.OrderPlacedType, 1, `{"items":[{"sku":"A","quantity":9223372036854775807,"unit_price":2}]}`},
		{orderevents.OrderPlacedType, 2, `{}`},
		{orderevents.OrderPlacedType, 2, `null`},
		{orderevents.OrderStockReservedType, 1, `{}`},
		{orderevents.OrderStockRejectedType, 1, `{"reason":"A short by 1"}`},
		{orderevents.OrderPaymentCapturedType, 1, `{"payment_id":"p-1","amount":30}`},
		{orderevents.OrderPaymentCapturedType, 1, `{"payment_id":"p-1","amount":null}`},
		{orderevents.OrderPaymentDeclinedType, 1, `{"reason":"limit"}`},
		{orderevents.OrderConfirmedType, 1, `{"extra":true}`},
		{orderevents.OrderCancelledType, 1, `{"reason":"customer_request","detail":"changed my mind"}`},
		{orderevents.OrderShippedType, 3, `{}`},
		{"OrderTeleported", 1, `{}`},
	} {
		f.Add(seed.eventType, seed.version, []byte(seed.data))
	}
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, eventType string, version int, data []byte) {
		e, err := orderevents.Decode(envelope.Envelope{EventType: eventType, SchemaVersion: version, Data: data})
		if err != nil {
			if e != nil {
				t.Fatalf("Decode returned %#v with its error %v", e, err)
			}
			return
		}
		if e.EventType() != eventType || !json.Valid(data) {
			t.Fatalf("Decode read %s v%d %q as %#v", eventType, version, data, e)
		}
		env, err := orderevents.Encode("event-1", "order-1", 1, at, e)
		if err != nil {
			t.Fatalf("Encode of a decoded event: %v", err)
		}
		back, err := orderevents.Decode(env)
		if err != nil {
			t.Fatalf("Decode of an encoded event %s: %v", env.Data, err)
		}
		if !reflect.DeepEqual(back, e) {
			t.Fatalf("round trip: %#v became %#v", e, back)
		}
	})
}
