package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/domain/order"
)

// orderBatch is what a batch's order updates share (docs/saga.md,
// "Batches"): each order's events as the batch sees them (read once, then
// with what its members appended), and the appends, written in one
// statement as the batch commits. A version written twice, by the batch
// and by another writer, fails that statement on the stream's unique
// version, and the members run alone.
type orderBatch struct {
	histories map[order.ID][]order.RecordedEvent
	rows      map[order.ID][]any // each order's read model row, its last state
	orders    []order.ID         // in the order of their first append
	events    [][]any
}

type orderBatchKey struct{}

func orderBatchOf(ctx context.Context, uow *pgtx.UnitOfWork) *orderBatch {
	return pgtx.Value(ctx, uow, orderBatchKey{}, func() *orderBatch {
		return &orderBatch{histories: map[order.ID][]order.RecordedEvent{}, rows: map[order.ID][]any{}}
	}, func(ctx context.Context, b *orderBatch) error { return b.write(ctx, uow) })
}

// load is loadOrder through the batch: an order is read once per batch,
// and the first read reads the orders of every member the batch knows of
// (pgtx.UnitOfWork.PartitionKeys).
func (b *orderBatch) load(ctx context.Context, uow *pgtx.UnitOfWork, id order.ID) (*order.Order, error) {
	if _, ok := b.histories[id]; !ok {
		ids := []order.ID{id}
		for _, key := range uow.PartitionKeys() {
			if _, ok := b.histories[order.ID(key)]; !ok && order.ID(key) != id {
				ids = append(ids, order.ID(key))
			}
		}
		stored, err := loadEventsOfOrders(ctx, uow, ids)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			history := []order.RecordedEvent{}
			for _, e := range stored[id] {
				history = append(history, e.RecordedEvent)
			}
			b.histories[id] = history
		}
	}
	return order.FromHistory(id, b.histories[id])
}

// add is appendAndProject gathered: the events and the read model row are
// written when the batch commits.
func (b *orderBatch) add(o *order.Order, events []order.RecordedEvent) ([]storedEvent, error) {
	row, err := readModelRow(o)
	if err != nil {
		return nil, err
	}
	id := o.ID()
	if _, ok := b.rows[id]; !ok {
		b.orders = append(b.orders, id)
	}
	b.rows[id] = row
	stored, columns, err := newStoredEvents(id, events)
	if err != nil {
		return nil, err
	}
	b.events = append(b.events, columns...)
	b.histories[id] = append(b.histories[id], events...)
	return stored, nil
}

// write appends the batch's events and writes its read model rows, in one
// statement.
func (b *orderBatch) write(ctx context.Context, uow *pgtx.UnitOfWork) error {
	if len(b.events) == 0 {
		return nil
	}
	rowColumns := make([][]string, readModelParams)
	for _, id := range b.orders {
		for i, v := range b.rows[id] {
			rowColumns[i] = append(rowColumns[i], column(v))
		}
	}
	eventColumns := make([][]string, 7)
	for _, e := range b.events {
		for i, v := range e {
			eventColumns[i] = append(eventColumns[i], column(v))
		}
	}
	args := make([]any, 0, readModelParams+7)
	for _, c := range append(rowColumns, eventColumns...) {
		args = append(args, pq.Array(c))
	}
	if _, err := uow.ExecContext(ctx, appendAndProjectBatchQuery, args...); err != nil {
		return fmt.Errorf("append the events of %d orders: %w", len(b.orders), err)
	}
	return nil
}

// column is a value as an element of a text array, cast by the statement.
func column(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case time.Time:
		return v.Format(time.RFC3339Nano)
	default:
		return fmt.Sprint(v)
	}
}

// appendAndProjectBatchQuery is appendAndProject's statement for a batch:
// the read model rows and the events as arrays, one text for any count.
const appendAndProjectBatchQuery = `WITH read_model AS (
	INSERT INTO orders (id, customer_id, status, currency, total, items, version,
		cancel_reason, cancel_detail, payment_id, placed_at, updated_at)
	SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::jsonb[], $7::int[],
		$8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[])
	ON CONFLICT (id) DO UPDATE SET
		status = excluded.status, total = excluded.total, items = excluded.items,
		version = excluded.version, cancel_reason = excluded.cancel_reason,
		cancel_detail = excluded.cancel_detail, payment_id = excluded.payment_id,
		updated_at = excluded.updated_at)
INSERT INTO order_events (event_id, stream_id, version, event_type, schema_version, data, occurred_at)
SELECT * FROM unnest($13::uuid[], $14::uuid[], $15::int[], $16::text[], $17::int[], $18::jsonb[], $19::timestamptz[])`
