package command

import (
	"context"
	"time"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/domain/order"
)

// The commands in this file carry the outcomes that the inventory and
// payment services report back; the order's saga handlers issue them.

// RecordStockReservation tells the order whether its stock is held.
type RecordStockReservation struct {
	// Message is the consumed message the command is the effect of.
	Message  inbox.Key
	OrderID  order.ID
	Reserved bool
	Reason   string // why not, when Reserved is false
}

// RecordPayment tells the order whether its total was charged.
type RecordPayment struct {
	// Message is the consumed message the command is the effect of.
	Message   inbox.Key
	OrderID   order.ID
	Captured  bool
	PaymentID string
	Amount    order.Money
	Reason    string // why not, when Captured is false
}

// FulfilmentHandler moves orders along as stock and payment outcomes
// arrive. Both commands are safe to re-run on fresh state.
type FulfilmentHandler struct{ updater }

// NewFulfilmentHandler returns a handler; now is the clock.
func NewFulfilmentHandler(repo OrderRepository, now func() time.Time) (FulfilmentHandler, error) {
	u, err := newUpdater(repo, now)
	return FulfilmentHandler{u}, err
}

// RecordStockReservation reserves or rejects the order's stock.
func (h FulfilmentHandler) RecordStockReservation(ctx context.Context, cmd RecordStockReservation) error {
	return h.updateFor(ctx, cmd.Message, cmd.OrderID, 0, func(o *order.Order, now time.Time) error {
		if cmd.Reserved {
			return o.ReserveStock(now)
		}
		return o.RejectStock(cmd.Reason, now)
	})
}

// RecordPayment captures or declines the order's payment.
func (h FulfilmentHandler) RecordPayment(ctx context.Context, cmd RecordPayment) error {
	return h.updateFor(ctx, cmd.Message, cmd.OrderID, 0, func(o *order.Order, now time.Time) error {
		if cmd.Captured {
			return o.CapturePayment(cmd.PaymentID, cmd.Amount, now)
		}
		return o.DeclinePayment(cmd.Reason, now)
	})
}
