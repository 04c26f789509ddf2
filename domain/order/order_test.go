package order_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orders/domain/order"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func validInput() order.PlaceInput {
	return order.PlaceInput{
		CustomerID: "customer-42",
		Currency:   "EUR",
		Items: []order.ItemInput{
			{SKU: "BOOK-1", Quantity: 2, UnitPrice: 1299},
			{SKU: "PEN-7", Quantity: 3, UnitPrice: 150},
		},
	}
}

func newTestOrder(t *testing.T) *order.Order {
	t.Helper()
	o, err := order.Place("3f1c2a4e-0000-4000-8000-000000000001", validInput(), now)
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	return o
}

func TestPlaceRecordsOrderPlacedWithComputedTotal(t *testing.T) {
	o := newTestOrder(t)

	if got, want := o.Total(), order.NewMoney(2*1299+3*150, "EUR"); got != want {
		t.Errorf("total = %v, want %v", got, want)
	}
	if o.Status() != order.StatusPlaced {
		t.Errorf("status = %s, want placed", o.Status())
	}
	if o.Version() != 1 {
		t.Errorf("version = %d, want 1", o.Version())
	}
	changes := o.Changes()
	if len(changes) != 1 {
		t.Fatalf("recorded %d events, want 1", len(changes))
	}
	placed, ok := changes[0].Event.(order.OrderPlaced)
	if !ok {
		t.Fatalf("recorded %T, want OrderPlaced", changes[0].Event)
	}
	want := order.OrderPlaced{
		CustomerID: "customer-42", Currency: "EUR", Total: 3048,
		Items: []order.EventItem{
			{SKU: "BOOK-1", Quantity: 2, UnitPrice: 1299, Subtotal: 2598},
			{SKU: "PEN-7", Quantity: 3, UnitPrice: 150, Subtotal: 450},
		},
	}
	if !reflect.DeepEqual(placed, want) {
		t.Errorf("event = %+v, want %+v", placed, want)
	}
	if changes[0].Version != 1 || !changes[0].OccurredAt.Equal(now) {
		t.Errorf("recorded event at version %d, time %v", changes[0].Version, changes[0].OccurredAt)
	}
}

func TestPlaceRejectsInvalidInput(t *testing.T) {
	tests := []struct {
		name   string
		modify func(in *order.PlaceInput)
		field  string
	}{
		{"empty customer", func(in *order.PlaceInput) { in.CustomerID = "  " }, "customer_id"},
		{"over-long customer", func(in *order.PlaceInput) { in.CustomerID = strings.Repeat("c", order.MaxCustomerIDLength+1) }, "customer_id"},
		{"unknown currency", func(in *order.PlaceInput) { in.Currency = "XXX" }, "currency"},
		{"lower-case currency", func(in *order.PlaceInput) { in.Currency = "eur" }, "currency"},
		{"no items", func(in *order.PlaceInput) { in.Items = nil }, "items"},
		{"too many items", func(in *order.PlaceInput) {
			in.Items = make([]order.ItemInput, order.MaxOrderLines+1)
			for i := range in.Items {
				in.Items[i] = order.ItemInput{SKU: "S", Quantity: 1, UnitPrice: 1}
			}
		}, "items"},
		{"zero quantity", func(in *order.PlaceInput) { in.Items[1].Quantity = 0 }, "items[1].quantity"},
		{"negative quantity", func(in *order.PlaceInput) { in.Items[0].Quantity = -1 }, "items[0].quantity"},
		{"huge quantity", func(in *order.PlaceInput) { in.Items[0].Quantity = order.MaxQuantity + 1 }, "items[0].quantity"},
		{"negative price", func(in *order.PlaceInput) { in.Items[0].UnitPrice = -1 }, "items[0].unit_price"},
		{"price beyond limit", func(in *order.PlaceInput) { in.Items[0].UnitPrice = math.MaxInt64 }, "items[0].unit_price"},
		{"empty SKU", func(in *order.PlaceInput) { in.Items[0].SKU = "" }, "items[0].sku"},
		{"over-long SKU", func(in *order.PlaceInput) { in.Items[0].SKU = strings.Repeat("s", order.MaxSKULength+1) }, "items[0].sku"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.modify(&in)

			o, err := order.Place("3f1c2a4e-0000-4000-8000-000000000001", in, now)

			var verr *order.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("err = %v, want a ValidationError", err)
			}
			if o != nil {
				t.Errorf("got an order despite the error")
			}
			if !hasField(verr, tt.field) {
				t.Errorf("fields = %+v, want one naming %q", verr.Fields, tt.field)
			}
		})
	}
}

func TestPlaceReportsEveryInvalidField(t *testing.T) {
	_, err := order.Place("id", order.PlaceInput{Currency: "???", Items: []order.ItemInput{{}}}, now)

	var verr *order.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("err = %v, want a ValidationError", err)
	}
	for _, f := range []string{"customer_id", "currency", "items[0].sku", "items[0].quantity"} {
		if !hasField(verr, f) {
			t.Errorf("fields = %+v, want one naming %q", verr.Fields, f)
		}
	}
}

func TestPlaceAcceptsTheLargestOrder(t *testing.T) {
	in := order.PlaceInput{CustomerID: "c", Currency: "JPY", Items: make([]order.ItemInput, order.MaxOrderLines)}
	for i := range in.Items {
		in.Items[i] = order.ItemInput{SKU: "S", Quantity: order.MaxQuantity, UnitPrice: order.MaxUnitPrice}
	}

	o, err := order.Place("id", in, now)
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	if want := int64(order.MaxOrderLines) * order.MaxQuantity * order.MaxUnitPrice; o.Total().Amount() != want {
		t.Errorf("total = %d, want %d", o.Total().Amount(), want)
	}
}

func TestFromHistoryRebuildsTheSameState(t *testing.T) {
	placed := newTestOrder(t)

	rebuilt, err := order.FromHistory(placed.ID(), placed.Changes())
	if err != nil {
		t.Fatalf("FromHistory: %v", err)
	}

	if rebuilt.Version() != placed.Version() {
		t.Errorf("version = %d, want %d", rebuilt.Version(), placed.Version())
	}
	if len(rebuilt.Changes()) != 0 {
		t.Errorf("a rebuilt order has %d new events, want none", len(rebuilt.Changes()))
	}
	if rebuilt.Total() != placed.Total() || rebuilt.Status() != placed.Status() ||
		rebuilt.CustomerID() != placed.CustomerID() || !reflect.DeepEqual(rebuilt.Items(), placed.Items()) ||
		!rebuilt.PlacedAt().Equal(placed.PlacedAt()) {
		t.Errorf("rebuilt order differs from the one that produced the events")
	}
}

func TestFromHistoryRefusesGapsAndEmptyHistory(t *testing.T) {
	if _, err := order.FromHistory("id", nil); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("empty history: err = %v, want ErrNotFound", err)
	}
	history := newTestOrder(t).Changes()
	history[0].Version = 2
	if _, err := order.FromHistory("id", history); err == nil {
		t.Errorf("history starting at version 2 was accepted")
	}
}

func TestFromHistoryRefusesAnEventItCannotApply(t *testing.T) {
	history := append(newTestOrder(t).Changes(), order.RecordedEvent{Version: 2, OccurredAt: now})

	_, err := order.FromHistory("id", history)

	if !errors.Is(err, order.ErrUnknownEvent) {
		t.Errorf("err = %v, want ErrUnknownEvent", err)
	}
}

func hasField(err *order.ValidationError, field string) bool {
	for _, f := range err.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}
