package forwarder

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
)

// pinRecorder records the subscriber's calls in order.
type pinRecorder struct {
	mu     sync.Mutex
	events []pinEvent
	lastTx *sql.Tx
	lastN  int
}

type pinEvent struct {
	what string
	at   time.Time
}

func (r *pinRecorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, pinEvent{what: fmt.Sprintf(format, args...), at: time.Now()})
}

func (r *pinRecorder) snapshot() []pinEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// pinBeginner records every BeginTx and marks each transaction with a
// transaction-local setting, so the ack query can check it runs in the
// transaction that read the batch.
type pinBeginner struct {
	*sql.DB
	rec *pinRecorder
}

func (b pinBeginner) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	tx, err := b.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	if opts == nil {
		b.rec.add("begin nil")
		return tx, nil
	}
	b.rec.mu.Lock()
	b.rec.lastN++
	n := b.rec.lastN
	b.rec.lastTx = tx
	b.rec.mu.Unlock()
	if _, err := tx.ExecContext(ctx, `SELECT set_config('forwarder_pin.tx', $1, true)`, fmt.Sprint(n)); err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	b.rec.add("begin %s", opts.Isolation)
	return tx, nil
}

type pinSchema struct {
	schemaAdapter
	rec *pinRecorder
}

func (s pinSchema) SelectQuery(topic, group string, o watermillsql.OffsetsAdapter) watermillsql.Query {
	s.rec.add("select")
	return s.schemaAdapter.SelectQuery(topic, group, o)
}

type pinOffsets struct {
	offsetsAdapter
	rec *pinRecorder
}

func (o pinOffsets) AckMessageQuery(topic string, row watermillsql.Row, group string) watermillsql.Query {
	q := o.offsetsAdapter.AckMessageQuery(topic, row, group)
	if q.Query == batchNotAcknowledgedQuery {
		o.rec.add("ack fails")
		return q
	}
	o.rec.add("ack %d", row.Offset)
	o.rec.mu.Lock()
	n := o.rec.lastN
	o.rec.mu.Unlock()
	// Fails with a division by zero unless it runs in the last transaction begun.
	q.Query += fmt.Sprintf(`; SELECT 1 / (current_setting('forwarder_pin.tx') = '%d')::int`, n)
	return q
}

// pinBackoff records HandleError and returns sleep for the first empty query.
type pinBackoff struct {
	rec   *pinRecorder
	armed atomic.Bool // sleep after the next empty query
	slept atomic.Bool
	sleep time.Duration
}

func (b *pinBackoff) HandleError(_ watermill.LoggerAdapter, noMsg bool, err error) time.Duration {
	switch {
	case err != nil:
		b.rec.add("handle error")
		return 10 * time.Millisecond
	case noMsg && b.armed.Load() && b.slept.CompareAndSwap(false, true):
		b.rec.add("handle empty, sleep")
		return b.sleep
	case noMsg:
		b.rec.add("handle empty")
		return 10 * time.Millisecond
	default:
		b.rec.add("handle batch")
		return 0
	}
}
