package paymentstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/app/payment/command"
	"github.com/orderflow/orders/app/payment/query"
	domain "github.com/orderflow/orders/domain/payment"
	"github.com/orderflow/orders/internal/testenv"
)

// TestThePaymentServiceRunsItsStatementsPrepared: once warmed up, a
// payment opened, charged (through the simulated gateway's ledger),
// refunded, and read, and one declined and voided, send no statement with
// arguments unprepared (each would cost a second round trip).
func TestThePaymentServiceRunsItsStatementsPrepared(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.DBWithURL(t)
	log := testenv.NewStatementLog(t, dbURL)
	a := newApp(t, log.DB)
	ctx := context.Background()
	key := func() inbox.Key { return inbox.Key{Consumer: "payment", MessageID: uuid.NewString()} }
	log.RunsPrepared(t, func() {
		refunded, voided := uuid.NewString(), uuid.NewString()
		for order, amount := range map[string]int64{refunded: 2598, voided: 200_000} {
			if err := a.Commands.OpenPayment.Handle(ctx, command.OpenPayment{Message: key(), OrderID: order, Amount: amount, Currency: "EUR"}); err != nil {
				t.Fatal(err)
			}
		}
		if status, err := a.Commands.ChargePayment.Handle(ctx, command.ChargePayment{Message: key(), OrderID: refunded}); err != nil || status != domain.StatusCaptured {
			t.Fatalf("charge: %s, %v", status, err)
		}
		if status, err := a.Commands.CancelPayment.Handle(ctx, command.CancelPayment{Message: key(), OrderID: refunded}); err != nil || status != domain.StatusRefunded {
			t.Fatalf("cancel: %s, %v", status, err)
		}
		if status, err := a.Commands.ChargePayment.Handle(ctx, command.ChargePayment{Message: key(), OrderID: voided}); err != nil || status != domain.StatusDeclined {
			t.Fatalf("charge above the limit: %s, %v", status, err)
		}
		if ps, err := a.Queries.PaymentsOfOrder.Handle(ctx, query.PaymentsOfOrder{OrderID: refunded}); err != nil || len(ps) != 1 {
			t.Fatalf("payments = %+v, %v", ps, err)
		}
	})
}

// TestOpeningAPaymentDoesNotHoldBackTheOutbox: an opened payment publishes
// nothing, so its transaction takes no writer lock of the outbox's shards
// (which the forwarder would wait for), while a charge's answer does.
func TestOpeningAPaymentDoesNotHoldBackTheOutbox(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.DBWithURL(t)
	log := testenv.NewStatementLog(t, dbURL)
	a := newApp(t, log.DB)
	ctx := context.Background()
	order := uuid.NewString()
	writerLocks := func() (n int) {
		sent, _ := log.Take()
		for _, s := range sent {
			if strings.Contains(s.Query, "pg_advisory_xact_lock_shared") {
				n++
			}
		}
		return n
	}
	log.Take()
	if err := a.Commands.OpenPayment.Handle(ctx, command.OpenPayment{Message: inbox.Key{Consumer: "payment", MessageID: uuid.NewString()}, OrderID: order, Amount: 100, Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	if n := writerLocks(); n != 0 {
		t.Errorf("opening a payment took %d writer locks, want none", n)
	}
	if status, err := a.Commands.ChargePayment.Handle(ctx, command.ChargePayment{Message: inbox.Key{Consumer: "payment", MessageID: uuid.NewString()}, OrderID: order}); err != nil || status != domain.StatusCaptured {
		t.Fatalf("charge: %s, %v", status, err)
	}
	if n := writerLocks(); n != 1 {
		t.Errorf("charging a payment took %d writer locks, want 1 (its answer's event)", n)
	}
}
