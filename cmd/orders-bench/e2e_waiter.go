package main

import (
	"context"
	"database/sql"
	"time"

	"github.com/IBM/sarama"
	"github.com/lib/pq"
)

// waiter waits until placed orders have been handled: until each has its
// reservation when the inventory runs, else until their records are on
// Kafka (the API is then the topic's only writer).
type waiter struct {
	db      *sql.DB
	effects bool
	client  sarama.Client
	topic   string
	onKafka int64 // records expected on the topic so far
}

func newWaiter(p *pipeline, db *sql.DB) (*waiter, error) {
	if p.inventory != "" {
		return &waiter{db: db, effects: true}, nil
	}
	client, err := newKafkaClient(p.e.brokers)
	if err != nil {
		return nil, err
	}
	return &waiter{db: db, client: client, topic: p.topic}, nil
}

func (w *waiter) close() {
	if w.client != nil {
		_ = w.client.Close()
	}
}

// wait returns how many of placed are still not handled at the timeout.
func (w *waiter) wait(ctx context.Context, placed []placement, timeout time.Duration) (int, error) {
	ids := make([]string, len(placed))
	for i, pl := range placed {
		ids[i] = pl.ID
	}
	w.onKafka += int64(len(placed))
	deadline := time.Now().Add(timeout)
	for {
		var missing int
		if w.effects {
			var n int
			if err := w.db.QueryRowContext(ctx, `SELECT count(*) FROM inventory_reservations WHERE order_id = ANY($1::uuid[])`, pq.Array(ids)).Scan(&n); err != nil {
				return 0, err
			}
			missing = len(ids) - n
		} else {
			missing = int(min(int64(len(ids)), max(0, w.onKafka-kafkaRecords(w.client, w.topic))))
		}
		if missing <= 0 {
			return 0, nil
		}
		if time.Now().After(deadline) {
			return missing, nil
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
