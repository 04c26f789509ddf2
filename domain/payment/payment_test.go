package payment_test

import (
	"errors"
	"testing"
	"time"

	"github.com/orderflow/orders/domain/payment"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func paymentIn(t *testing.T, s payment.Status) *payment.Payment {
	t.Helper()
	p, err := payment.Open("o-1", 3048, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("reaching %s: %v", s, err)
		}
	}
	switch s {
	case payment.StatusDue:
	case payment.StatusCharging:
		must(p.StartCharge())
	case payment.StatusCaptured:
		must(p.StartCharge())
		must(p.Capture("pay-1", now))
	case payment.StatusDeclined:
		must(p.StartCharge())
		must(p.Decline("limit", now))
	case payment.StatusRefunding:
		must(p.StartCharge())
		must(p.Capture("pay-1", now))
		must(p.StartRefund())
	case payment.StatusRefunded:
		must(p.StartCharge())
		must(p.Capture("pay-1", now))
		must(p.StartRefund())
		must(p.Refund("ref-1", now))
	case payment.StatusVoided:
		must(p.Void())
	}
	// Reload, as a handler would find it.
	r, err := payment.Restore(p.OrderID(), p.Amount(), p.Currency(), p.Status(), p.PaymentID(), p.RefundID(), p.Reason())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEveryTransition(t *testing.T) {
	actions := map[string]func(p *payment.Payment) error{
		"start charge": func(p *payment.Payment) error { return p.StartCharge() },
		"capture":      func(p *payment.Payment) error { return p.Capture("pay-1", now) },
		"decline":      func(p *payment.Payment) error { return p.Decline("over the limit", now) },
		"start refund": func(p *payment.Payment) error { return p.StartRefund() },
		"refund":       func(p *payment.Payment) error { return p.Refund("ref-1", now) },
		"void":         func(p *payment.Payment) error { return p.Void() },
	}
	legal := map[payment.Status]map[string]struct {
		to    payment.Status
		event string
	}{
		payment.StatusDue: {
			"start charge": {payment.StatusCharging, ""},
			"void":         {payment.StatusVoided, ""},
		},
		payment.StatusCharging: {
			"capture": {payment.StatusCaptured, payment.PaymentCapturedType},
			"decline": {payment.StatusDeclined, payment.PaymentDeclinedType},
		},
		payment.StatusCaptured: {
			"start refund": {payment.StatusRefunding, ""},
		},
		payment.StatusRefunding: {
			"refund": {payment.StatusRefunded, payment.PaymentRefundedType},
		},
	}
	for _, from := range allStatuses {
		for name, do := range actions {
			t.Run(string(from)+"/"+name, func(t *testing.T) {
				p := paymentIn(t, from)
				err := do(p)
				want, ok := legal[from][name]
				if !ok {
					if !errors.Is(err, payment.ErrIllegalTransition) {
						t.Fatalf("err = %v, want an illegal transition", err)
					}
					if p.Status() != from || len(p.Changes()) != 0 {
						t.Errorf("a refused action changed the payment")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if p.Status() != want.to {
					t.Errorf("status = %s, want %s", p.Status(), want.to)
				}
				var got string
				if c := p.Changes(); len(c) == 1 {
					got = c[0].Event.EventType()
				} else if len(c) > 1 {
					t.Fatalf("%d events", len(c))
				}
				if got != want.event {
					t.Errorf("event = %q, want %q", got, want.event)
				}
			})
		}
	}
}

var allStatuses = []payment.Status{
	payment.StatusDue, payment.StatusCharging, payment.StatusCaptured, payment.StatusDeclined,
	payment.StatusRefunding, payment.StatusRefunded, payment.StatusVoided,
}

func TestOnlyChargingAndRefundingAwaitTheGateway(t *testing.T) {
	for _, s := range allStatuses {
		want := s == payment.StatusCharging || s == payment.StatusRefunding
		if got := s.AwaitsGateway(); got != want {
			t.Errorf("%s.AwaitsGateway() = %v, want %v", s, got, want)
		}
	}
}

func TestAPaymentAwaitingTheGatewayIsRestoredAsStored(t *testing.T) {
	for _, s := range []payment.Status{payment.StatusCharging, payment.StatusRefunding} {
		p := paymentIn(t, s)
		if p.Status() != s || len(p.Changes()) != 0 {
			t.Errorf("restored %s as %s with %d events", s, p.Status(), len(p.Changes()))
		}
	}
	if _, err := payment.Restore("o-1", 1, "EUR", "paying", "", "", ""); err == nil {
		t.Error("an unknown status was restored")
	}
}

func TestCapturedAndRefundedEventsCarryTheAmount(t *testing.T) {
	p := paymentIn(t, payment.StatusCharging)
	if err := p.Capture("pay-9", now); err != nil {
		t.Fatal(err)
	}
	if err := p.StartRefund(); err != nil {
		t.Fatal(err)
	}
	if err := p.Refund("ref-9", now); err != nil {
		t.Fatal(err)
	}
	c := p.Changes()
	captured := c[0].Event.(payment.PaymentCaptured)
	refunded := c[1].Event.(payment.PaymentRefunded)
	if captured != (payment.PaymentCaptured{PaymentID: "pay-9", Amount: 3048, Currency: "EUR"}) {
		t.Errorf("captured = %+v", captured)
	}
	if refunded != (payment.PaymentRefunded{PaymentID: "pay-9", RefundID: "ref-9", Amount: 3048, Currency: "EUR"}) {
		t.Errorf("refunded = %+v", refunded)
	}
}

func TestOpenRejectsNonsense(t *testing.T) {
	for _, tc := range []struct {
		order    string
		amount   int64
		currency string
	}{{"", 1, "EUR"}, {"o", -1, "EUR"}, {"o", 1, "EURO"}} {
		if _, err := payment.Open(tc.order, tc.amount, tc.currency); err == nil {
			t.Errorf("Open(%q, %d, %q) accepted", tc.order, tc.amount, tc.currency)
		}
	}
	if err := paymentIn(t, payment.StatusCharging).Capture(" ", now); err == nil {
		t.Errorf("capture without a payment ID accepted")
	}
}
