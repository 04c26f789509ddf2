package inventory_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/orderflow/orders/domain/inventory"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func item(t *testing.T, sku string, onHand, reserved int64) *inventory.Item {
	t.Helper()
	it, err := inventory.NewItem(sku, onHand, reserved)
	if err != nil {
		t.Fatalf("NewItem: %v", err)
	}
	return it
}

func stock(t *testing.T, items ...*inventory.Item) inventory.Stock {
	t.Helper()
	s := inventory.Stock{}
	for _, it := range items {
		s[it.SKU()] = it
	}
	return s
}

func levels(s inventory.Stock) map[string][2]int64 {
	out := map[string][2]int64{}
	for sku, it := range s {
		out[sku] = [2]int64{it.OnHand(), it.Reserved()}
	}
	return out
}

func eventTypes(r *inventory.Reservation) []string {
	var out []string
	for _, e := range r.Changes() {
		out = append(out, e.Event.EventType())
	}
	return out
}

func TestReserveHoldsEveryLine(t *testing.T) {
	s := stock(t, item(t, "BOOK", 10, 2), item(t, "PEN", 5, 0))

	r, err := inventory.Reserve("o-1", []inventory.Line{{SKU: "PEN", Quantity: 2}, {SKU: "BOOK", Quantity: 3}, {SKU: "PEN", Quantity: 1}}, s, now)
	if err != nil {
		t.Fatal(err)
	}

	if r.Status() != inventory.StatusHeld {
		t.Errorf("status = %s, want held", r.Status())
	}
	want := []inventory.Line{{SKU: "BOOK", Quantity: 3}, {SKU: "PEN", Quantity: 3}}
	if !reflect.DeepEqual(r.Lines(), want) {
		t.Errorf("lines = %v, want %v (merged per SKU, sorted)", r.Lines(), want)
	}
	if got := levels(s); got["BOOK"] != [2]int64{10, 5} || got["PEN"] != [2]int64{5, 3} {
		t.Errorf("stock = %v", got)
	}
	if !reflect.DeepEqual(eventTypes(r), []string{inventory.StockReservedType}) {
		t.Errorf("events = %v", eventTypes(r))
	}
	if held := r.Changes()[0].Event.(inventory.StockReserved); !reflect.DeepEqual(held.Lines, want) {
		t.Errorf("StockReserved lines = %v", held.Lines)
	}
}

func TestReserveIsAllOrNothing(t *testing.T) {
	s := stock(t, item(t, "BOOK", 10, 8), item(t, "PEN", 5, 0))

	r, err := inventory.Reserve("o-1", []inventory.Line{{SKU: "PEN", Quantity: 1}, {SKU: "BOOK", Quantity: 3}, {SKU: "GHOST", Quantity: 1}}, s, now)
	if err != nil {
		t.Fatal(err)
	}

	if r.Status() != inventory.StatusRejected {
		t.Fatalf("status = %s, want rejected", r.Status())
	}
	if got := levels(s); got["BOOK"] != [2]int64{10, 8} || got["PEN"] != [2]int64{5, 0} || got["GHOST"] != [2]int64{0, 0} {
		t.Errorf("a rejected reservation changed the stock: %v", got)
	}
	rejected, ok := r.Changes()[0].Event.(inventory.StockRejected)
	if !ok || len(r.Changes()) != 1 {
		t.Fatalf("events = %v, want one StockRejected", eventTypes(r))
	}
	wantShort := []inventory.Shortage{{SKU: "BOOK", Requested: 3, Available: 2}, {SKU: "GHOST", Requested: 1, Available: 0}}
	if !reflect.DeepEqual(rejected.Shortages, wantShort) {
		t.Errorf("shortages = %v, want %v", rejected.Shortages, wantShort)
	}
	if r.Reason() != "insufficient stock: BOOK: 3 requested, 2 available; GHOST: 1 requested, 0 available" || rejected.Reason != r.Reason() {
		t.Errorf("reason = %q", r.Reason())
	}
}

func TestReserveExactlyTheAvailableUnits(t *testing.T) {
	s := stock(t, item(t, "BOOK", 4, 1))
	r, err := inventory.Reserve("o-1", []inventory.Line{{SKU: "BOOK", Quantity: 3}}, s, now)
	if err != nil || r.Status() != inventory.StatusHeld || s["BOOK"].Available() != 0 {
		t.Fatalf("status %v, available %d, err %v; want held with nothing left", r.Status(), s["BOOK"].Available(), err)
	}
	again, _ := inventory.Reserve("o-2", []inventory.Line{{SKU: "BOOK", Quantity: 1}}, s, now)
	if again.Status() != inventory.StatusRejected {
		t.Errorf("second reservation is %s with nothing available, want rejected", again.Status())
	}
}

func TestReserveRejectsInvalidLines(t *testing.T) {
	for name, lines := range map[string][]inventory.Line{
		"none":          nil,
		"zero quantity": {{SKU: "A", Quantity: 0}},
		"negative":      {{SKU: "A", Quantity: -2}},
		"empty SKU":     {{SKU: "", Quantity: 1}},
	} {
		t.Run(name, func(t *testing.T) {
			var verr *inventory.ValidationError
			if _, err := inventory.Reserve("o-1", lines, inventory.Stock{}, now); !errors.As(err, &verr) {
				t.Errorf("err = %v, want a ValidationError", err)
			}
		})
	}
}

func TestReleaseAndCommit(t *testing.T) {
	held := func(t *testing.T) (*inventory.Reservation, inventory.Stock) {
		s := stock(t, item(t, "BOOK", 10, 0))
		r, err := inventory.Reserve("o-1", []inventory.Line{{SKU: "BOOK", Quantity: 4}}, s, now)
		if err != nil {
			t.Fatal(err)
		}
		restored, err := inventory.RestoreReservation(r.OrderID(), r.Lines(), r.Status(), r.Reason())
		if err != nil {
			t.Fatal(err)
		}
		return restored, s
	}

	t.Run("release gives the units back", func(t *testing.T) {
		r, s := held(t)
		if err := r.Release(s, now); err != nil {
			t.Fatal(err)
		}
		if r.Status() != inventory.StatusReleased || levels(s)["BOOK"] != [2]int64{10, 0} {
			t.Errorf("status %s, stock %v", r.Status(), levels(s))
		}
		if !reflect.DeepEqual(eventTypes(r), []string{inventory.StockReleasedType}) {
			t.Errorf("events = %v", eventTypes(r))
		}
		if err := r.Release(s, now); err != nil || len(r.Changes()) != 1 || levels(s)["BOOK"] != [2]int64{10, 0} {
			t.Errorf("a second release changed something: err %v, %d events, stock %v", err, len(r.Changes()), levels(s))
		}
		if err := r.Commit(s, now); !errors.Is(err, inventory.ErrIllegalTransition) {
			t.Errorf("commit after release: err = %v, want an illegal transition", err)
		}
	})

	t.Run("commit takes the units out", func(t *testing.T) {
		r, s := held(t)
		if err := r.Commit(s, now); err != nil {
			t.Fatal(err)
		}
		if r.Status() != inventory.StatusCommitted || levels(s)["BOOK"] != [2]int64{6, 0} {
			t.Errorf("status %s, stock %v", r.Status(), levels(s))
		}
		if err := r.Release(s, now); !errors.Is(err, inventory.ErrIllegalTransition) {
			t.Errorf("release after commit: err = %v, want an illegal transition", err)
		}
		if err := r.Commit(s, now); !errors.Is(err, inventory.ErrIllegalTransition) {
			t.Errorf("second commit: err = %v, want an illegal transition", err)
		}
	})

	t.Run("releasing a rejected reservation is a no-op", func(t *testing.T) {
		s := stock(t, item(t, "BOOK", 1, 0))
		r, _ := inventory.Reserve("o-1", []inventory.Line{{SKU: "BOOK", Quantity: 2}}, s, now)
		restored, _ := inventory.RestoreReservation(r.OrderID(), r.Lines(), r.Status(), r.Reason())
		if err := restored.Release(s, now); err != nil || len(restored.Changes()) != 0 || levels(s)["BOOK"] != [2]int64{1, 0} {
			t.Errorf("err %v, %d events, stock %v", err, len(restored.Changes()), levels(s))
		}
	})
}

func TestOnHandNeverFallsBelowReserved(t *testing.T) {
	it := item(t, "BOOK", 10, 4)

	if err := it.SetOnHand(3); !errors.Is(err, inventory.ErrBelowReserved) {
		t.Errorf("SetOnHand(3) with 4 reserved: err = %v, want ErrBelowReserved", err)
	}
	if err := it.SetOnHand(-1); err == nil {
		t.Errorf("SetOnHand(-1) accepted")
	}
	if err := it.SetOnHand(4); err != nil || it.Available() != 0 {
		t.Errorf("SetOnHand(4): err %v, available %d", err, it.Available())
	}
	if _, err := inventory.NewItem("X", 1, 2); err == nil {
		t.Errorf("NewItem with reserved > on hand accepted")
	}
}
