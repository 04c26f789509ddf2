package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/eventcodec"
	"github.com/orderflow/orders/app/query"
	"github.com/orderflow/orders/domain/order"
)

// OrderEventsReadModel reads order streams straight from the event store.
type OrderEventsReadModel struct {
	db *sql.DB
}

var _ query.OrderEventsReadModel = (*OrderEventsReadModel)(nil)

// NewOrderEventsReadModel returns the read model on db.
func NewOrderEventsReadModel(db *sql.DB) (*OrderEventsReadModel, error) {
	if db == nil {
		return nil, errors.New("order events read model needs a database")
	}
	return &OrderEventsReadModel{db: db}, nil
}

// OrderEvents returns the order's events in version order, each upcast to
// the current schema version.
func (r *OrderEventsReadModel) OrderEvents(ctx context.Context, id order.ID) (_ []query.Event, err error) {
	if _, err := uuid.Parse(string(id)); err != nil {
		return nil, order.ErrNotFound
	}
	rows, err := r.db.QueryContext(ctx, `
		SELECT event_id, version, event_type, schema_version, data, occurred_at
		FROM order_events WHERE stream_id = $1 ORDER BY version`, string(id))
	if err != nil {
		return nil, fmt.Errorf("read events of order %s: %w", id, err)
	}
	defer func() { err = errors.Join(err, rows.Close()) }()

	var events []query.Event
	for rows.Next() {
		var (
			e             query.Event
			storedVersion int
			data          []byte
			occurredAt    time.Time
		)
		if err := rows.Scan(&e.EventID, &e.Version, &e.Type, &storedVersion, &data, &occurredAt); err != nil {
			return nil, fmt.Errorf("scan event of order %s: %w", id, err)
		}
		current, err := eventcodec.Unmarshal(e.Type, storedVersion, data)
		if err != nil {
			return nil, fmt.Errorf("order %s version %d: %w", id, e.Version, err)
		}
		if _, e.SchemaVersion, e.Data, err = eventcodec.Marshal(current); err != nil {
			return nil, err
		}
		e.OccurredAt = occurredAt.UTC()
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events of order %s: %w", id, err)
	}
	if len(events) == 0 {
		return nil, order.ErrNotFound
	}
	return events, nil
}
