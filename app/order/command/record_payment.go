package command

import (
	"context"
	"time"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/domain/order"
)

// RecordPayment tells the order whether its total was charged. The order's
// saga issues it on the payment service's outcome, Message naming the
// outcome's message.
type RecordPayment struct {
	OrderID   order.ID
	Captured  bool
	PaymentID string
	Amount    order.Money
	Reason    string // why not, when Captured is false
	Message   inbox.Key
}

// RecordPaymentHandler captures or declines orders' payments. The command
// is safe to re-run on fresh state: a lost race is retried.
type RecordPaymentHandler struct{ updater }

// NewRecordPaymentHandler returns a handler; now is the clock.
func NewRecordPaymentHandler(repo OrderRepository, now func() time.Time) (RecordPaymentHandler, error) {
	u, err := newUpdater(repo, now)
	return RecordPaymentHandler{u}, err
}

// Handle captures the payment and so confirms the order, or declines it
// and so cancels the order.
func (h RecordPaymentHandler) Handle(ctx context.Context, cmd RecordPayment) error {
	return h.update(ctx, cmd.OrderID, 0, cmd.Message, func(o *order.Order, now time.Time) error {
		if cmd.Captured {
			return o.CapturePayment(cmd.PaymentID, cmd.Amount, now)
		}
		return o.DeclinePayment(cmd.Reason, now)
	})
}
