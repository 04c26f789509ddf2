package command

import (
	"context"
	"time"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/domain/order"
)

// CancelOrder asks to cancel an order for its customer. ExpectedVersion,
// when not zero, is the version the caller saw (HTTP If-Match).
type CancelOrder struct {
	OrderID         order.ID
	Reason          string
	ExpectedVersion int
}

// CancelOrderHandler cancels orders.
type CancelOrderHandler struct{ updater }

// NewCancelOrderHandler returns a handler; now is the clock.
func NewCancelOrderHandler(repo OrderRepository, now func() time.Time) (CancelOrderHandler, error) {
	u, err := newUpdater(repo, now)
	return CancelOrderHandler{u}, err
}

// Handle cancels the order unless it has shipped or was cancelled.
func (h CancelOrderHandler) Handle(ctx context.Context, cmd CancelOrder) error {
	return h.update(ctx, cmd.OrderID, cmd.ExpectedVersion, inbox.Key{}, func(o *order.Order, now time.Time) error {
		return o.Cancel(cmd.Reason, now)
	})
}
