package paymentstore_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/metrics"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/paymentgateway"
	"github.com/orderflow/orders/adapters/postgres/paymentstore"
	"github.com/orderflow/orders/app/inbox"
	app "github.com/orderflow/orders/app/payment"
	"github.com/orderflow/orders/app/payment/command"
	"github.com/orderflow/orders/app/payment/query"
	domain "github.com/orderflow/orders/domain/payment"
	"github.com/orderflow/orders/internal/testenv"
)

func newApp(t *testing.T, db *sql.DB) app.Application {
	t.Helper()
	return newAppWrapping(t, db, nil)
}

// newRepository is the payment repository on db, publishing through the
// payment outbox.
func newRepository(t *testing.T, db *sql.DB) *paymentstore.Repository {
	t.Helper()
	pub, err := outbox.NewPublisher(outbox.PublisherConfig{Outbox: outbox.Payment}, nil)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := paymentstore.NewRepository(db, pub, "payments.events")
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// newAppWrapping builds the application on the real adapters, the
// repository and gateway wrapped by wrap when it is not nil.
func newAppWrapping(t *testing.T, db *sql.DB, wrap func(command.Repository, command.Gateway) (command.Repository, command.Gateway)) app.Application {
	t.Helper()
	repo := newRepository(t, db)
	readModel, err := paymentstore.NewReadModel(db)
	if err != nil {
		t.Fatal(err)
	}
	gateway, err := paymentgateway.NewSimulated(db, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	adapters := app.Adapters{Repository: repo, Gateway: gateway, ReadModel: readModel, Now: time.Now}
	if wrap != nil {
		adapters.Repository, adapters.Gateway = wrap(repo, gateway)
	}
	a, err := app.NewApplication(adapters, slog.New(slog.DiscardHandler), metrics.NoOp{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func ledger(t *testing.T, db *sql.DB, orderID string) (charges, refunds int) {
	t.Helper()
	err := db.QueryRow(`SELECT count(*) FILTER (WHERE kind = 'charge'), count(*) FILTER (WHERE kind = 'refund')
		FROM payment_gateway_ledger WHERE order_id = $1`, orderID).Scan(&charges, &refunds)
	if err != nil {
		t.Fatal(err)
	}
	return charges, refunds
}

// TestAnOrderIsChargedAndRefundedOnce delivers each message several times,
// some of them at once: one charge, one refund, one event each.
func TestAnOrderIsChargedAndRefundedOnce(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	a := newApp(t, db)
	ctx := context.Background()
	orderID := uuid.NewString()
	key := func(id string) inbox.Key {
		return inbox.Key{Consumer: "payment", MessageID: id}
	}

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := a.Commands.ChargePayment.Handle(ctx, command.ChargePayment{Message: key("stock-reserved"), OrderID: orderID, Amount: 2598, Currency: "EUR"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	applied := 0
	for err := range errs {
		switch {
		case err == nil:
			applied++
		case !errors.Is(err, inbox.ErrDuplicate):
			t.Errorf("charge: %v", err)
		}
	}
	if applied != 1 {
		t.Errorf("%d of 8 concurrent deliveries applied, want 1", applied)
	}
	// Another message asking to charge again (it cannot happen, but) finds
	// the payment captured and leaves it.
	if status, err := a.Commands.ChargePayment.Handle(ctx, command.ChargePayment{Message: key("another"), OrderID: orderID, Amount: 2598, Currency: "EUR"}); err != nil || status != domain.StatusCaptured {
		t.Errorf("charge of a captured payment: %s, %v", status, err)
	}

	for i := range 3 {
		status, err := a.Commands.CancelPayment.Handle(ctx, command.CancelPayment{Message: key("cancelled"), OrderID: orderID})
		if i == 0 && (err != nil || status != domain.StatusRefunded) || i > 0 && !errors.Is(err, inbox.ErrDuplicate) {
			t.Errorf("cancel delivery %d: %s, %v", i+1, status, err)
		}
	}

	if charges, refunds := ledger(t, db, orderID); charges != 1 || refunds != 1 {
		t.Errorf("gateway ledger: %d charges, %d refunds; want 1 and 1", charges, refunds)
	}
	var events int
	if err := db.QueryRow(`SELECT count(*) FROM ` + outbox.Payment.ViewName()).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != 2 {
		t.Errorf("%d outbox messages, want PaymentCaptured and PaymentRefunded", events)
	}
	ps, err := a.Queries.PaymentsOfOrder.Handle(ctx, query.PaymentsOfOrder{OrderID: orderID})
	if err != nil || len(ps) != 1 || ps[0].Status != "refunded" || ps[0].PaymentID == "" || ps[0].RefundID == "" {
		t.Errorf("payments = %+v, %v", ps, err)
	}
}

func TestAboveTheLimitIsDeclinedAndAnUnchargedPaymentVoided(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	a := newApp(t, db)
	ctx := context.Background()
	pricey, cheap := uuid.NewString(), uuid.NewString()
	if status, err := a.Commands.ChargePayment.Handle(ctx, command.ChargePayment{OrderID: pricey, Amount: 100_001, Currency: "EUR"}); err != nil || status != domain.StatusDeclined {
		t.Errorf("charge above the limit: %s, %v; want declined", status, err)
	}
	openDue(t, db, cheap, 100_000) // by an earlier release, from OrderPlaced
	if status, err := a.Commands.CancelPayment.Handle(ctx, command.CancelPayment{OrderID: cheap}); err != nil || status != domain.StatusVoided {
		t.Errorf("cancel before the charge: %s, %v; want voided", status, err)
	}
	if status, err := a.Commands.ChargePayment.Handle(ctx, command.ChargePayment{OrderID: cheap, Amount: 100_000, Currency: "EUR"}); err != nil || status != domain.StatusVoided {
		t.Errorf("charge after the void: %s, %v; want it left voided", status, err)
	}
	if charges, _ := ledger(t, db, cheap); charges != 0 {
		t.Errorf("a voided payment was charged %d times", charges)
	}
	if _, err := a.Commands.ChargePayment.Handle(ctx, command.ChargePayment{OrderID: uuid.NewString()}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("charge without the total of an order without a payment: err = %v, want ErrNotFound", err)
	}
}

func TestAnUpdateWithoutEventsRefusesOneThatRecordsAnEvent(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	repo := newRepository(t, db)
	ctx := context.Background()
	orderID := uuid.NewString()
	p, err := domain.Open(orderID, 2598, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Add(ctx, inbox.Key{}, p); err != nil {
		t.Fatal(err)
	}
	err = repo.UpdateWithoutEvents(ctx, inbox.Key{Consumer: "payment", MessageID: "m-1"}, orderID, func(_ context.Context, p *domain.Payment) error {
		return errors.Join(p.StartCharge(), p.Capture("pay-1", time.Now()))
	})
	if err == nil {
		t.Fatal("a capture was stored by an update without events")
	}
	if got, err := repo.Get(ctx, orderID); err != nil || got.Status() != domain.StatusDue {
		t.Errorf("after the refused update: %v, %v; want it due", got, err)
	}
	var inboxed int
	if err := db.QueryRow(`SELECT count(*) FROM payment_inbox`).Scan(&inboxed); err != nil || inboxed != 0 {
		t.Errorf("%d inbox records (%v), want none: the transaction rolls back", inboxed, err)
	}
}
