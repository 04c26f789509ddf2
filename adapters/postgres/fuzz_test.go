package postgres

import (
	"reflect"
	"testing"
	"time"

	"github.com/orderflow/orders/domain/order"
)

// FuzzStoredEvent reads any stored row (type, schema version, data):
// decodeEvent never panics, refuses a null or a row of another shape, and
// what it reads is stored and read back as the same event.
func FuzzStoredEvent(f *testing.F) {
	for _, seed := range []struct {
		eventType string
		version   int
		data      string
	}{
		{order.OrderPlacedType, 2, `{"customer_id":"c","currency":"EUR","items":[{"sku":"A","quantity":3,"unit_price":10,"subtotal":30}],"total":30}`},
		{order.OrderPlacedType, 1, `{"customer_id":"c","currency":"EUR","items":[{"sku":"A","quantity":3,"unit_price":10}],"total":30}`},
		{order.OrderPlacedType, 1, `{"items":[{"sku":"A","quantity":-1,"unit_price":2}]}`},
		{order.OrderPlacedType, 1, `{"items":[null]}`},
		{order.OrderPlacedType, 2, `null`},
		{order.OrderStockRejectedType, 1, `{"reason":"A short by 1"}`},
		{order.OrderPaymentCapturedType, 1, `{"payment_id":"p-1","amount":30}`},
		{order.OrderCancelledType, 1, `{"reason":"customer_request","detail":"x"}`},
		{order.OrderShippedType, 2, `{}`},
		{"OrderTeleported", 1, `{}`},
	} {
		f.Add(seed.eventType, seed.version, []byte(seed.data))
	}
	f.Fuzz(func(t *testing.T, eventType string, version int, data []byte) {
		e, err := decodeEvent(eventType, version, data)
		if err != nil {
			return
		}
		if e == nil || e.EventType() != eventType {
			t.Fatalf("%s v%d %q read as %#v", eventType, version, data, e)
		}
		storedType, storedVersion, stored, err := encodeEvent(e)
		if err != nil {
			t.Fatalf("encode a read event: %v", err)
		}
		back, err := decodeEvent(storedType, storedVersion, stored)
		if err != nil {
			t.Fatalf("read back %s: %v", stored, err)
		}
		if !reflect.DeepEqual(back, e) {
			t.Fatalf("round trip: %#v became %#v", e, back)
		}
	})
}

// FuzzCursor reads any cursor of the order listing: no panic, and a
// cursor it accepts names a position that encodes to a cursor of the same
// position.
func FuzzCursor(f *testing.F) {
	for _, c := range []string{
		"", "1.0b4c6c4e6a3c4c599d0e6f2a4d5b9e10", "1764410000000000.ffffffffffffffffffffffffffffffff",
		"+1.0b4c6c4e6a3c4c599d0e6f2a4d5b9e10", "-1.0b4c6c4e6a3c4c599d0e6f2a4d5b9e10", "1.0B4C6C4E6A3C4C599D0E6F2A4D5B9E10",
		"99999999999999999.0b4c6c4e6a3c4c599d0e6f2a4d5b9e10", ".", "1.", "1.zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
	} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		pos, err := decodeCursor(cursor)
		if err != nil || cursor == "" {
			return
		}
		again, err := decodeCursor(encodeCursor(*pos.placedAt, *pos.id))
		if err != nil {
			t.Fatalf("the cursor of position %v %s is refused: %v", *pos.placedAt, *pos.id, err)
		}
		if !again.placedAt.Equal(*pos.placedAt) || *again.id != *pos.id || pos.placedAt.Before(time.Unix(0, 0)) {
			t.Fatalf("cursor %q: position %v %s became %v %s", cursor, *pos.placedAt, *pos.id, *again.placedAt, *again.id)
		}
	})
}
