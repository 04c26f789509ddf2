// Package commandtest holds the contract every command.OrderRepository
// keeps, as one test suite that each implementation's tests run
// (adapters/memory, adapters/postgres): the same behaviour, checked the
// same way, whatever stores the orders.
package commandtest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/domain/order"
)

// TestOrderRepository runs the contract against the repositories newRepo
// returns. newRepo may return the same store each time: every case uses
// order IDs, idempotency keys and message IDs of its own.
func TestOrderRepository(t *testing.T, newRepo func(t *testing.T) command.OrderRepository) {
	t.Run("an added order loads with its state and version", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t)
		o := added(t, repo)
		err := repo.Update(context.Background(), o.ID(), inbox.Key{}, func(_ context.Context, loaded *order.Order) error {
			if loaded.Version() != 1 || len(loaded.Changes()) != 0 || loaded.Total() != o.Total() || loaded.Status() != order.StatusPlaced {
				t.Errorf("loaded %+v", loaded)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("adding an order whose ID exists is ErrConcurrentUpdate", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t)
		o := added(t, repo)
		if _, _, err := repo.Add(context.Background(), placeWithID(t, o.ID()), nil); !errors.Is(err, command.ErrConcurrentUpdate) {
			t.Errorf("err = %v, want ErrConcurrentUpdate", err)
		}
		assertVersion(t, repo, o.ID(), 1, order.StatusPlaced)
	})

	t.Run("updating an unknown order is ErrNotFound", func(t *testing.T) {
		t.Parallel()
		err := newRepo(t).Update(context.Background(), order.ID(newUUID()), inbox.Key{}, func(context.Context, *order.Order) error {
			t.Error("fn called for an unknown order")
			return nil
		})
		if !errors.Is(err, order.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})

	t.Run("a failing update stores nothing", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t)
		o := added(t, repo)
		boom := errors.New("boom")
		err := repo.Update(context.Background(), o.ID(), inbox.Key{}, func(_ context.Context, loaded *order.Order) error {
			if err := loaded.Cancel("x", time.Now()); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want fn's error", err)
		}
		assertVersion(t, repo, o.ID(), 1, order.StatusPlaced)
	})

	t.Run("events append in order across updates", func(t *testing.T) {
		t.Parallel()
		repo := newRepo(t)
		o := added(t, repo)
		steps := []func(*order.Order) error{
			func(o *order.Order) error { return o.ReserveStock(time.Now()) },
			func(o *order.Order) error { return o.CapturePayment("p", o.Total(), time.Now()) },
			func(o *order.Order) error { return o.Ship(time.Now()) },
		}
		for _, step := range steps {
			if err := repo.Update(context.Background(), o.ID(), inbox.Key{}, func(_ context.Context, o *order.Order) error { return step(o) }); err != nil {
				t.Fatal(err)
			}
		}
		assertVersion(t, repo, o.ID(), 5, order.StatusShipped)
	})

	t.Run("of 50 concurrent writers of one version exactly one wins", func(t *testing.T) {
		t.Parallel()
		testConcurrentWriters(t, newRepo(t))
	})

	t.Run("an idempotency key replays the first order", func(t *testing.T) {
		t.Parallel()
		testIdempotencyKeys(t, newRepo(t))
	})

	t.Run("a consumed message takes effect once per consumer", func(t *testing.T) {
		t.Parallel()
		testInbox(t, newRepo(t))
	})
}

func testConcurrentWriters(t *testing.T, repo command.OrderRepository) {
	o := added(t, repo)
	const writers = 50
	var (
		start           = make(chan struct{})
		wg              sync.WaitGroup
		mu              sync.Mutex
		won, stale, odd int
	)
	for range writers {
		wg.Go(func() {
			<-start
			err := repo.Update(context.Background(), o.ID(), inbox.Key{}, func(_ context.Context, o *order.Order) error {
				return o.Cancel("race", time.Now())
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, command.ErrConcurrentUpdate), errors.Is(err, order.ErrIllegalTransition):
				stale++ // lost the race, or loaded the winner's cancellation
			default:
				odd++
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if won != 1 || stale != writers-1 || odd != 0 {
		t.Errorf("won %d, stale %d, other %d; want 1, %d, 0", won, stale, odd, writers-1)
	}
	assertVersion(t, repo, o.ID(), 2, order.StatusCancelled)
}

func testIdempotencyKeys(t *testing.T, repo command.OrderRepository) {
	ctx := context.Background()
	key := &command.IdempotencyKey{Key: "key-" + newUUID(), Fingerprint: "request-a"}
	first := place(t)
	if id, replayed, err := repo.Add(ctx, first, key); err != nil || id != first.ID() || replayed {
		t.Fatalf("first Add = %s, %t, %v; want %s, false, nil", id, replayed, err, first.ID())
	}

	retry := place(t) // the retry's order has an ID of its own
	id, replayed, err := repo.Add(ctx, retry, key)
	if err != nil || id != first.ID() || !replayed {
		t.Errorf("retried Add = %s, %t, %v; want %s, true, nil", id, replayed, err, first.ID())
	}
	assertNotStored(t, repo, retry.ID())

	other := place(t)
	_, _, err = repo.Add(ctx, other, &command.IdempotencyKey{Key: key.Key, Fingerprint: "request-b"})
	if !errors.Is(err, command.ErrIdempotencyKeyReused) {
		t.Errorf("Add with the key and another request: err = %v, want ErrIdempotencyKeyReused", err)
	}
	assertNotStored(t, repo, other.ID())
}

func testInbox(t *testing.T, repo command.OrderRepository) {
	ctx := context.Background()
	o := added(t, repo)
	msg := inbox.Key{Consumer: "order-saga", MessageID: newUUID()}
	reserve := func(_ context.Context, o *order.Order) error { return o.ReserveStock(time.Now()) }
	cancel := func(_ context.Context, o *order.Order) error { return o.Cancel("x", time.Now()) }

	boom := errors.New("boom")
	err := repo.Update(ctx, o.ID(), msg, func(ctx context.Context, o *order.Order) error {
		_ = reserve(ctx, o)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failing update: err = %v, want fn's error", err)
	}
	if err := repo.Update(ctx, o.ID(), msg, reserve); err != nil {
		t.Fatalf("the message after a failed attempt: %v (a failed update must not record it)", err)
	}
	if err := repo.Update(ctx, o.ID(), msg, cancel); !errors.Is(err, inbox.ErrDuplicate) {
		t.Errorf("the message again: err = %v, want inbox.ErrDuplicate", err)
	}
	assertVersion(t, repo, o.ID(), 2, order.StatusStockReserved)

	other := inbox.Key{Consumer: "another-consumer", MessageID: msg.MessageID}
	if err := repo.Update(ctx, o.ID(), other, cancel); err != nil {
		t.Errorf("the message for another consumer: %v", err)
	}
	assertVersion(t, repo, o.ID(), 3, order.StatusCancelled)
}
