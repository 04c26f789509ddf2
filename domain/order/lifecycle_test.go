package order_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/orderflow/orders/domain/order"
)

// orderIn returns an order that has reached status s the legal way.
func orderIn(t *testing.T, s order.Status) *order.Order {
	t.Helper()
	o := newTestOrder(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("reaching %s: %v", s, err)
		}
	}
	switch s {
	case order.StatusPlaced:
	case order.StatusStockReserved:
		must(o.ReserveStock(now))
	case order.StatusConfirmed:
		must(o.ReserveStock(now))
		must(o.CapturePayment("pay-1", o.Total(), now))
	case order.StatusShipped:
		must(o.ReserveStock(now))
		must(o.CapturePayment("pay-1", o.Total(), now))
		must(o.Ship(now))
	case order.StatusCancelled:
		must(o.Cancel("changed my mind", now))
	default:
		t.Fatalf("no way to reach status %s", s)
	}
	return o
}

// action is one behaviour of the order, as the table calls it.
type action struct {
	name string
	do   func(o *order.Order) error
}

var actions = []action{
	{"reserve stock", func(o *order.Order) error { return o.ReserveStock(now) }},
	{"reject stock", func(o *order.Order) error { return o.RejectStock("SKU-1 short by 2", now) }},
	{"capture payment", func(o *order.Order) error { return o.CapturePayment("pay-1", o.Total(), now) }},
	{"decline payment", func(o *order.Order) error { return o.DeclinePayment("card expired", now) }},
	{"cancel", func(o *order.Order) error { return o.Cancel("no longer needed", now) }},
	{"ship", func(o *order.Order) error { return o.Ship(now) }},
}

var statuses = []order.Status{
	order.StatusPlaced, order.StatusStockReserved, order.StatusConfirmed, order.StatusShipped, order.StatusCancelled,
}

// legal lists, for each status, the actions it allows, the status they
// lead to, and the events they record.
var legal = map[order.Status]map[string]struct {
	to     order.Status
	events []string
}{
	order.StatusPlaced: {
		"reserve stock": {order.StatusStockReserved, []string{order.OrderStockReservedType}},
		"reject stock":  {order.StatusCancelled, []string{order.OrderStockRejectedType, order.OrderCancelledType}},
		"cancel":        {order.StatusCancelled, []string{order.OrderCancelledType}},
	},
	order.StatusStockReserved: {
		"capture payment": {order.StatusConfirmed, []string{order.OrderPaymentCapturedType, order.OrderConfirmedType}},
		"decline payment": {order.StatusCancelled, []string{order.OrderPaymentDeclinedType, order.OrderCancelledType}},
		"cancel":          {order.StatusCancelled, []string{order.OrderCancelledType}},
	},
	order.StatusConfirmed: {
		"ship":   {order.StatusShipped, []string{order.OrderShippedType}},
		"cancel": {order.StatusCancelled, []string{order.OrderCancelledType}},
	},
}

func TestEveryTransition(t *testing.T) {
	for _, from := range statuses {
		for _, a := range actions {
			t.Run(string(from)+"/"+a.name, func(t *testing.T) {
				o := orderIn(t, from)
				before := o.Version()
				pending := len(o.Changes())

				err := a.do(o)

				want, ok := legal[from][a.name]
				if !ok {
					if !errors.Is(err, order.ErrIllegalTransition) {
						t.Fatalf("err = %v, want an illegal transition", err)
					}
					if o.Version() != before || len(o.Changes()) != pending || o.Status() != from {
						t.Errorf("a refused action changed the order")
					}
					return
				}
				if err != nil {
					t.Fatalf("legal action failed: %v", err)
				}
				if o.Status() != want.to {
					t.Errorf("status = %s, want %s", o.Status(), want.to)
				}
				var got []string
				for _, re := range o.Changes()[pending:] {
					got = append(got, re.Event.EventType())
				}
				if !reflect.DeepEqual(got, want.events) {
					t.Errorf("recorded %v, want %v", got, want.events)
				}
				if o.Version() != before+len(want.events) {
					t.Errorf("version = %d, want %d", o.Version(), before+len(want.events))
				}
			})
		}
	}
}

func TestCancellationKeepsItsReason(t *testing.T) {
	o := orderIn(t, order.StatusPlaced)
	if err := o.RejectStock("SKU-1 short by 2", now); err != nil {
		t.Fatal(err)
	}
	if reason, detail := o.CancelReason(); reason != order.CancelledOutOfStock || detail != "SKU-1 short by 2" {
		t.Errorf("cancel reason = %s %q", reason, detail)
	}
}

func TestCapturedAmountMustEqualTheTotal(t *testing.T) {
	o := orderIn(t, order.StatusStockReserved)

	err := o.CapturePayment("pay-1", order.NewMoney(o.Total().Amount()-1, o.Currency()), now)

	if !errors.Is(err, order.ErrPaymentMismatch) {
		t.Errorf("err = %v, want ErrPaymentMismatch", err)
	}
	if o.Status() != order.StatusStockReserved {
		t.Errorf("status = %s after a refused capture", o.Status())
	}
}

func TestRebuildingFromHistoryEqualsTheLiveOrder(t *testing.T) {
	for _, s := range statuses {
		t.Run(string(s), func(t *testing.T) {
			live := orderIn(t, s)

			rebuilt, err := order.FromHistory(live.ID(), live.Changes())
			if err != nil {
				t.Fatal(err)
			}

			if !sameState(live, rebuilt) {
				t.Errorf("rebuilt %s order differs from the live one", s)
			}
		})
	}
}

func sameState(a, b *order.Order) bool {
	ra, da := a.CancelReason()
	rb, db := b.CancelReason()
	return a.ID() == b.ID() && a.Status() == b.Status() && a.Version() == b.Version() &&
		a.Total() == b.Total() && a.CustomerID() == b.CustomerID() && reflect.DeepEqual(a.Items(), b.Items()) &&
		a.PaymentID() == b.PaymentID() && ra == rb && da == db &&
		a.PlacedAt().Equal(b.PlacedAt()) && a.UpdatedAt().Equal(b.UpdatedAt())
}

func TestReservedStockCarriesTheTotalToCharge(t *testing.T) {
	o := orderIn(t, order.StatusPlaced)
	if err := o.ReserveStock(now); err != nil {
		t.Fatal(err)
	}
	changes := o.Changes()
	got := changes[len(changes)-1].Event
	want := order.OrderStockReserved{Currency: o.Total().Currency(), Total: o.Total().Amount()}
	if got != want || want.Total == 0 {
		t.Errorf("recorded %#v, want %#v", got, want)
	}
}
