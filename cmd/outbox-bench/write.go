package main

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
)

// placer writes placements: one transaction with a business row and its
// outbox message, the wake-up after the commit when pub has a notifier.
type placer struct {
	db    *sql.DB
	pub   *outbox.Publisher
	topic string
}

func (p placer) place(ctx context.Context) (time.Time, string, error) {
	at, _, id, err := p.placeTimed(ctx)
	return at, id, err
}

// placeTimed is place that also returns when the transaction began.
func (p placer) placeTimed(ctx context.Context) (committed, began time.Time, id string, err error) {
	id = uuid.NewString()
	began = time.Now()
	err = pgtx.Do(ctx, p.db, func(uow *pgtx.UnitOfWork) error {
		// As the repositories do: announce the order's shard first.
		if err := p.pub.Announce(ctx, uow, id); err != nil {
			return err
		}
		if _, err := uow.Tx.ExecContext(ctx, `INSERT INTO bench_orders (id, body) VALUES ($1, $2)`, id, `{"customer_id":"c-1","total":1500}`); err != nil {
			return err
		}
		return p.pub.Publish(ctx, uow, p.topic, newMessage(id, 1))
	})
	if err != nil {
		return time.Time{}, time.Time{}, "", err
	}
	committed = time.Now()
	return committed, began, id, nil
}

func createBenchTable(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `CREATE TABLE bench_orders (id UUID PRIMARY KEY, body JSONB NOT NULL)`)
	return err
}

// maxPlacementRate places with 16 writers for d and returns placements/s.
func maxPlacementRate(ctx context.Context, p placer, d time.Duration) (float64, error) {
	var n atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if _, _, err := p.place(ctx); err != nil {
					errs <- err
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(n.Load()) / d.Seconds(), nil
}

// writePathCost compares the placement rate without and with the wake-up
// (no forwarder running: the write path alone), alternating three times,
// and returns the rate with the wake-up.
func writePathCost(ctx context.Context) (float64, error) {
	e, err := newEnv(ctx, 6, false)
	if err != nil {
		return 0, err
	}
	defer e.drop(ctx)
	if err := createBenchTable(ctx, e.db); err != nil {
		return 0, err
	}
	plainPub, err := newOurPublisher(nil)
	if err != nil {
		return 0, err
	}
	wake, err := notifier(e.db)
	if err != nil {
		return 0, err
	}
	withWake, err := newOurPublisher(wake)
	if err != nil {
		return 0, err
	}
	plain := placer{db: e.db, pub: plainPub, topic: e.topic}
	woken := placer{db: e.db, pub: withWake, topic: e.topic}
	if _, err := maxPlacementRate(ctx, plain, 2*time.Second); err != nil { // warm up
		return 0, err
	}
	var without, with float64
	for range 3 {
		r, err := maxPlacementRate(ctx, plain, 5*time.Second)
		if err != nil {
			return 0, err
		}
		without += r
		if r, err = maxPlacementRate(ctx, woken, 5*time.Second); err != nil {
			return 0, err
		}
		with += r
	}
	without, with = without/3, with/3
	fmt.Printf("without wake-up %7.0f/s   with wake-up %7.0f/s   cost %.1f%%\n", without, with, 100*(without-with)/without)
	return with, nil
}
