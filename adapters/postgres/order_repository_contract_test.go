package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/app/command"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/internal/testenv"
)

// The contract every command.OrderRepository keeps. It is written against
// the port, so another implementation runs the same suite.
func TestOrderRepositoryContract(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	newRepo := func(t *testing.T) command.OrderRepository {
		return newRepository(t, db, testenv.OutboxPublisher(t, outbox.Orders))
	}

	t.Run("an added order loads with its state and version", func(t *testing.T) {
		repo := newRepo(t)
		o := placeTestOrder(t)
		if _, _, err := repo.Add(context.Background(), o, nil); err != nil {
			t.Fatal(err)
		}
		err := repo.Update(context.Background(), o.ID(), func(_ context.Context, loaded *order.Order) error {
			if loaded.Version() != 1 || loaded.LoadedVersion() != 1 || loaded.Total() != o.Total() || loaded.Status() != order.StatusPlaced {
				t.Errorf("loaded %+v", loaded)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("updating an unknown order is ErrNotFound", func(t *testing.T) {
		err := newRepo(t).Update(context.Background(), order.ID("5d5b7f52-6c87-4e1d-9a52-93c64c0b8d0e"), func(context.Context, *order.Order) error {
			t.Error("fn called for an unknown order")
			return nil
		})
		if !errors.Is(err, order.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})

	t.Run("a failing update stores nothing", func(t *testing.T) {
		repo := newRepo(t)
		o := placeTestOrder(t)
		if _, _, err := repo.Add(context.Background(), o, nil); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err := repo.Update(context.Background(), o.ID(), func(_ context.Context, loaded *order.Order) error {
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
		repo := newRepo(t)
		o := placeTestOrder(t)
		if _, _, err := repo.Add(context.Background(), o, nil); err != nil {
			t.Fatal(err)
		}
		steps := []func(*order.Order) error{
			func(o *order.Order) error { return o.ReserveStock(time.Now()) },
			func(o *order.Order) error { return o.CapturePayment("p", o.Total(), time.Now()) },
			func(o *order.Order) error { return o.Ship(time.Now()) },
		}
		for _, step := range steps {
			if err := repo.Update(context.Background(), o.ID(), func(_ context.Context, o *order.Order) error { return step(o) }); err != nil {
				t.Fatal(err)
			}
		}
		assertVersion(t, repo, o.ID(), 5, order.StatusShipped)
	})

	t.Run("of 50 concurrent writers of one version exactly one wins", func(t *testing.T) {
		repo := newRepo(t)
		o := placeTestOrder(t)
		if _, _, err := repo.Add(context.Background(), o, nil); err != nil {
			t.Fatal(err)
		}
		const writers = 50
		var (
			start           = make(chan struct{})
			wg              sync.WaitGroup
			mu              sync.Mutex
			won, stale, odd int
		)
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := repo.Update(context.Background(), o.ID(), func(_ context.Context, o *order.Order) error {
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
			}()
		}
		close(start)
		wg.Wait()
		if won != 1 || stale != writers-1 || odd != 0 {
			t.Errorf("won %d, stale %d, other %d; want 1, %d, 0", won, stale, odd, writers-1)
		}
		assertVersion(t, repo, o.ID(), 2, order.StatusCancelled)
	})
}

func assertVersion(t *testing.T, repo command.OrderRepository, id order.ID, version int, status order.Status) {
	t.Helper()
	err := repo.Update(context.Background(), id, func(_ context.Context, o *order.Order) error {
		if o.Version() != version || o.Status() != status {
			t.Errorf("order is %s at version %d, want %s at %d", o.Status(), o.Version(), status, version)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
