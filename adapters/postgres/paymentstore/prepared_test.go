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
// payment opened and charged (through the simulated gateway's ledger),
// refunded, and read, and one declined, send no statement with arguments
// unprepared (each would cost a second round trip).
func TestThePaymentServiceRunsItsStatementsPrepared(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.DBWithURL(t)
	log := testenv.NewStatementLog(t, dbURL)
	a := newApp(t, log.DB)
	ctx := context.Background()
	key := func() inbox.Key { return inbox.Key{Consumer: "payment", MessageID: uuid.NewString()} }
	log.RunsPrepared(t, func() {
		refunded, declined := uuid.NewString(), uuid.NewString()
		if status, err := a.Commands.ChargePayment.Handle(ctx, command.ChargePayment{Message: key(), OrderID: refunded, Amount: 2598, Currency: "EUR"}); err != nil || status != domain.StatusCaptured {
			t.Fatalf("charge: %s, %v", status, err)
		}
		if status, err := a.Commands.CancelPayment.Handle(ctx, command.CancelPayment{Message: key(), OrderID: refunded}); err != nil || status != domain.StatusRefunded {
			t.Fatalf("cancel: %s, %v", status, err)
		}
		if status, err := a.Commands.ChargePayment.Handle(ctx, command.ChargePayment{Message: key(), OrderID: declined, Amount: 200_000, Currency: "EUR"}); err != nil || status != domain.StatusDeclined {
			t.Fatalf("charge above the limit: %s, %v", status, err)
		}
		if ps, err := a.Queries.PaymentsOfOrder.Handle(ctx, query.PaymentsOfOrder{OrderID: refunded}); err != nil || len(ps) != 1 {
			t.Fatalf("payments = %+v, %v", ps, err)
		}
	})
}

// TestOpeningAPaymentDoesNotHoldBackTheOutbox: a payment opened with its
// charge's intent publishes nothing, so that transaction takes no writer
// lock of the outbox's shards (which the forwarder would wait for, while
// the gateway answers), while the charge's answer does.
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
	if status, err := a.Commands.ChargePayment.Handle(ctx, command.ChargePayment{Message: inbox.Key{Consumer: "payment", MessageID: uuid.NewString()}, OrderID: order, Amount: 100, Currency: "EUR"}); err != nil || status != domain.StatusCaptured {
		t.Fatalf("charge: %s, %v", status, err)
	}
	if n := writerLocks(); n != 1 {
		t.Errorf("opening and charging a payment took %d writer locks, want 1 (its answer's event)", n)
	}
}
