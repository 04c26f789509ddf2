package command

import (
	"context"
	"errors"
	"time"

	"github.com/orderflow/orders/app/inbox"
	domain "github.com/orderflow/orders/domain/payment"
)

// CancelPayment compensates a cancelled order: a captured payment is
// refunded, one not yet charged is voided.
type CancelPayment struct {
	// Message is the consumed message the command is the effect of.
	Message inbox.Key
	OrderID string
}

// CancelPaymentHandler refunds or voids payments.
type CancelPaymentHandler struct {
	call gatewayCall
}

// NewCancelPaymentHandler returns a handler; now is the clock.
func NewCancelPaymentHandler(repo Repository, gateway Gateway, now func() time.Time) (CancelPaymentHandler, error) {
	call, err := newGatewayCall(repo, gateway, now)
	if err != nil {
		return CancelPaymentHandler{}, err
	}
	return CancelPaymentHandler{call: call}, nil
}

// errChargeUnanswered rolls back a cancellation that found a charge
// without its answer: what to give back is known only once it is.
var errChargeUnanswered = errors.New("the charge awaits the gateway's answer")

// Handle refunds a captured payment once (in three steps, see
// gatewayCall), voids a due one, and leaves a declined, refunded or voided
// one as it is. An order without a payment was cancelled before its stock
// was reserved: nothing was charged, and nothing is done. A charge left
// unanswered by a crash is finished first, so the refund knows what was
// captured. A redelivered message finishes what its first delivery
// started.
func (h CancelPaymentHandler) Handle(ctx context.Context, cmd CancelPayment) (domain.Status, error) {
	var started *domain.Payment
	decide := func(_ context.Context, p *domain.Payment) error {
		started = p
		switch p.Status() {
		case domain.StatusDue:
			return p.Void()
		case domain.StatusCaptured:
			return p.StartRefund()
		case domain.StatusCharging:
			return errChargeUnanswered
		default:
			return nil
		}
	}
	err := h.call.repo.UpdateWithoutEvents(ctx, cmd.Message, cmd.OrderID, decide)
	if errors.Is(err, domain.ErrNotFound) {
		return "", nil
	}
	if errors.Is(err, errChargeUnanswered) {
		if _, err := h.call.finish(ctx, started); err != nil {
			return domain.StatusCharging, err
		}
		// The charge is answered now: captured (refund it) or declined.
		err = h.call.repo.UpdateWithoutEvents(ctx, cmd.Message, cmd.OrderID, decide)
	}
	return h.call.afterIntent(ctx, cmd.OrderID, started, err)
}
