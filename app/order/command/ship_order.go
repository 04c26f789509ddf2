package command

import (
	"context"
	"time"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/domain/order"
)

// ShipOrder records that a confirmed order left the warehouse.
// ExpectedVersion, when not zero, is the version the caller saw.
type ShipOrder struct {
	OrderID         order.ID
	ExpectedVersion int
}

// ShipOrderHandler ships orders.
type ShipOrderHandler struct{ updater }

// NewShipOrderHandler returns a handler; now is the clock.
func NewShipOrderHandler(repo OrderRepository, now func() time.Time) (ShipOrderHandler, error) {
	u, err := newUpdater(repo, now)
	return ShipOrderHandler{u}, err
}

// Handle ships a confirmed order.
func (h ShipOrderHandler) Handle(ctx context.Context, cmd ShipOrder) error {
	return h.update(ctx, cmd.OrderID, cmd.ExpectedVersion, inbox.Key{}, func(o *order.Order, now time.Time) error {
		return o.Ship(now)
	})
}
