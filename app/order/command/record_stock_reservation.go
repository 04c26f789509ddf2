package command

import (
	"context"
	"time"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/domain/order"
)

// RecordStockReservation tells the order whether the inventory holds its
// stock. The order's saga issues it on the inventory's outcome, Message
// naming the outcome's message.
type RecordStockReservation struct {
	OrderID  order.ID
	Reserved bool
	Reason   string // why not, when Reserved is false
	Message  inbox.Key
}

// RecordStockReservationHandler reserves or rejects orders' stock. The
// command is safe to re-run on fresh state: a lost race is retried.
type RecordStockReservationHandler struct{ updater }

// NewRecordStockReservationHandler returns a handler; now is the clock.
func NewRecordStockReservationHandler(repo OrderRepository, now func() time.Time) (RecordStockReservationHandler, error) {
	u, err := newUpdater(repo, now)
	return RecordStockReservationHandler{u}, err
}

// Handle reserves the order's stock, or rejects it and so cancels the order.
func (h RecordStockReservationHandler) Handle(ctx context.Context, cmd RecordStockReservation) error {
	return h.update(ctx, cmd.OrderID, 0, cmd.Message, func(o *order.Order, now time.Time) error {
		if cmd.Reserved {
			return o.ReserveStock(now)
		}
		return o.RejectStock(cmd.Reason, now)
	})
}
