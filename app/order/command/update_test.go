package command_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/domain/order"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// fakeRepository hands out a fresh copy of one order on every Update, and
// makes the first `conflicts` writes lose a race: what the retry and
// If-Match logic is tested against, without a database.
type fakeRepository struct {
	stored    func(t *testing.T) *order.Order // the order as stored; nil: not found
	conflicts int
	t         *testing.T

	calls   int
	msgs    []inbox.Key
	written []order.RecordedEvent
}

func (f *fakeRepository) Add(context.Context, *order.Order, *command.IdempotencyKey) (order.ID, bool, error) {
	panic("not used")
}

func (f *fakeRepository) Update(ctx context.Context, _ order.ID, msg inbox.Key, fn func(context.Context, *order.Order) error) error {
	f.calls++
	f.msgs = append(f.msgs, msg)
	if f.stored == nil {
		return order.ErrNotFound
	}
	o := f.stored(f.t)
	if err := fn(ctx, o); err != nil {
		return err
	}
	if f.calls <= f.conflicts {
		return command.ErrConcurrentUpdate
	}
	f.written = o.Changes()
	return nil
}

// orderAt returns a stored order: placed (version 1) or with its stock
// reserved (version 2).
func orderAt(version int) func(t *testing.T) *order.Order {
	return func(t *testing.T) *order.Order {
		t.Helper()
		o, err := order.Place("3f1c2a4e-0000-4000-8000-000000000001", order.PlaceInput{
			CustomerID: "c-1", Currency: "EUR", Items: []order.ItemInput{{SKU: "A", Quantity: 1, UnitPrice: 100}},
		}, now)
		if err != nil {
			t.Fatal(err)
		}
		if version == 2 {
			if err := o.ReserveStock(now); err != nil {
				t.Fatal(err)
			}
		}
		history := o.Changes()
		stored, err := order.FromHistory(o.ID(), history)
		if err != nil {
			t.Fatal(err)
		}
		return stored
	}
}

func TestUpdateRetriesOnlyWithoutAnExpectedVersion(t *testing.T) {
	const maxAttempts = 5 // update.go's limit
	tests := []struct {
		name            string
		stored          func(t *testing.T) *order.Order
		conflicts       int
		expectedVersion int
		wantErr         error
		wantCalls       int
		wantEvents      int
	}{
		{"no conflict", orderAt(1), 0, 0, nil, 1, 1},
		{"lost races are retried on fresh state", orderAt(1), 2, 0, nil, 3, 1},
		{"retries stop at the limit", orderAt(1), maxAttempts, 0, command.ErrConcurrentUpdate, maxAttempts, 0},
		{"the last allowed attempt may win", orderAt(1), maxAttempts - 1, 0, nil, maxAttempts, 1},
		{"If-Match with the current version", orderAt(1), 0, 1, nil, 1, 1},
		{"If-Match is never retried", orderAt(1), 1, 1, command.ErrConcurrentUpdate, 1, 0},
		{"a stale If-Match is a conflict", orderAt(2), 0, 1, command.ErrConcurrentUpdate, 1, 0},
		{"an If-Match beyond the order is a conflict", orderAt(1), 0, 7, command.ErrConcurrentUpdate, 1, 0},
		{"an unknown order is not retried", nil, 0, 0, order.ErrNotFound, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := &fakeRepository{stored: tt.stored, conflicts: tt.conflicts, t: t}
			h, err := command.NewCancelOrderHandler(repo, func() time.Time { return now })
			if err != nil {
				t.Fatal(err)
			}

			err = h.Handle(context.Background(), command.CancelOrder{OrderID: "3f1c2a4e-0000-4000-8000-000000000001", Reason: "r", ExpectedVersion: tt.expectedVersion})

			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if repo.calls != tt.wantCalls {
				t.Errorf("Update called %d times, want %d", repo.calls, tt.wantCalls)
			}
			if len(repo.written) != tt.wantEvents {
				t.Errorf("wrote %d events, want %d", len(repo.written), tt.wantEvents)
			}
		})
	}
}

func TestADomainRefusalIsNotRetried(t *testing.T) {
	repo := &fakeRepository{stored: orderAt(1), t: t}
	h, err := command.NewShipOrderHandler(repo, time.Now)
	if err != nil {
		t.Fatal(err)
	}

	err = h.Handle(context.Background(), command.ShipOrder{OrderID: "3f1c2a4e-0000-4000-8000-000000000001"})

	if !errors.Is(err, order.ErrIllegalTransition) || repo.calls != 1 {
		t.Errorf("err = %v after %d calls, want an illegal transition after 1", err, repo.calls)
	}
}

func TestCommandsPassTheirMessageToTheRepository(t *testing.T) {
	msg := inbox.Key{Consumer: "order-saga", MessageID: "m-1"}
	tests := []struct {
		name    string
		stored  func(t *testing.T) *order.Order
		handle  func(repo command.OrderRepository) error
		wantMsg inbox.Key
	}{
		{"stock reservation", orderAt(1), func(repo command.OrderRepository) error {
			h, err := command.NewRecordStockReservationHandler(repo, time.Now)
			if err != nil {
				return err
			}
			return h.Handle(context.Background(), command.RecordStockReservation{OrderID: "id", Reserved: true, Message: msg})
		}, msg},
		{"payment", orderAt(2), func(repo command.OrderRepository) error {
			h, err := command.NewRecordPaymentHandler(repo, time.Now)
			if err != nil {
				return err
			}
			return h.Handle(context.Background(), command.RecordPayment{OrderID: "id", Reason: "declined", Message: msg})
		}, msg},
		{"cancel, caused by no message", orderAt(1), func(repo command.OrderRepository) error {
			h, err := command.NewCancelOrderHandler(repo, time.Now)
			if err != nil {
				return err
			}
			return h.Handle(context.Background(), command.CancelOrder{OrderID: "id"})
		}, inbox.Key{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := &fakeRepository{stored: tt.stored, conflicts: 1, t: t}

			if err := tt.handle(repo); err != nil {
				t.Fatal(err)
			}

			if len(repo.msgs) != 2 || repo.msgs[0] != tt.wantMsg || repo.msgs[1] != tt.wantMsg {
				t.Errorf("Update got messages %v, want %v on each attempt", repo.msgs, tt.wantMsg)
			}
		})
	}
}

func TestConstructorsRefuseNilDependencies(t *testing.T) {
	repo := &fakeRepository{}
	for name, err := range map[string]error{
		"place, nil repository":  second(command.NewPlaceOrderHandler(nil, time.Now)),
		"place, nil clock":       second(command.NewPlaceOrderHandler(repo, nil)),
		"cancel, nil repository": second(command.NewCancelOrderHandler(nil, time.Now)),
		"ship, nil clock":        second(command.NewShipOrderHandler(repo, nil)),
		"stock, nil repository":  second(command.NewRecordStockReservationHandler(nil, time.Now)),
		"payment, nil clock":     second(command.NewRecordPaymentHandler(repo, nil)),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func second[T any](_ T, err error) error { return err }
