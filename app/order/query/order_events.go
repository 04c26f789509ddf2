package query

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/orderflow/orders/domain/order"
)

// Event is one event of an order's stream, in the current schema version.
type Event struct {
	EventID       string
	Type          string
	SchemaVersion int
	Version       int
	OccurredAt    time.Time
	Data          json.RawMessage
}

// OrderEventsReadModel reads order streams from the event store.
type OrderEventsReadModel interface {
	// OrderEvents returns the stream in version order, or
	// order.ErrNotFound when the order does not exist.
	OrderEvents(ctx context.Context, id order.ID) ([]Event, error)
}

// OrderEvents asks for an order's event stream.
type OrderEvents struct {
	OrderID order.ID
}

// OrderEventsHandler returns an order's event stream.
type OrderEventsHandler struct {
	readModel OrderEventsReadModel
}

// NewOrderEventsHandler returns a handler over the event store.
func NewOrderEventsHandler(readModel OrderEventsReadModel) (OrderEventsHandler, error) {
	if readModel == nil {
		return OrderEventsHandler{}, errors.New("nil order events read model")
	}
	return OrderEventsHandler{readModel: readModel}, nil
}

// Handle returns the order's events, oldest first.
func (h OrderEventsHandler) Handle(ctx context.Context, q OrderEvents) ([]Event, error) {
	return h.readModel.OrderEvents(ctx, q.OrderID)
}
