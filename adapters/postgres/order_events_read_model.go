package postgres

import (
	"context"
	"database/sql"
	"errors"

	"github.com/orderflow/orders/app/order/query"
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

// OrderEvents returns the order's events in version order, each in the
// current schema version.
func (r *OrderEventsReadModel) OrderEvents(ctx context.Context, id order.ID) ([]query.Event, error) {
	stored, err := loadEvents(ctx, r.db, id)
	if err != nil {
		return nil, err
	}
	if len(stored) == 0 {
		return nil, order.ErrNotFound
	}
	events := make([]query.Event, len(stored))
	for i, e := range stored {
		eventType, schemaVersion, data, err := encodeEvent(e.Event)
		if err != nil {
			return nil, err
		}
		events[i] = query.Event{
			EventID: e.EventID, Type: eventType, SchemaVersion: schemaVersion,
			Version: e.Version, OccurredAt: e.OccurredAt, Data: data,
		}
	}
	return events, nil
}
