package command

import (
	"context"
	"time"

	"github.com/orderflow/orders/app/inbox"
	domain "github.com/orderflow/orders/domain/payment"
)

// ChargePayment asks to charge what an order owes: its stock is reserved.
type ChargePayment struct {
	// Message is the consumed message the command is the effect of.
	Message inbox.Key
	OrderID string
}

// ChargePaymentHandler charges payments through the gateway.
type ChargePaymentHandler struct {
	call gatewayCall
}

// NewChargePaymentHandler returns a handler; now is the clock.
func NewChargePaymentHandler(repo Repository, gateway Gateway, now func() time.Time) (ChargePaymentHandler, error) {
	call, err := newGatewayCall(repo, gateway, now)
	if err != nil {
		return ChargePaymentHandler{}, err
	}
	return ChargePaymentHandler{call: call}, nil
}

// Handle charges the amount due and records the gateway's answer, in three
// steps (see gatewayCall). A payment that is not due any more (charged
// before, or voided because the order was cancelled first) is left as it
// is. A redelivered message finishes what its first delivery started.
func (h ChargePaymentHandler) Handle(ctx context.Context, cmd ChargePayment) (domain.Status, error) {
	var started *domain.Payment
	err := h.call.repo.UpdateWithoutEvents(ctx, cmd.Message, cmd.OrderID, func(_ context.Context, p *domain.Payment) error {
		started = p
		if p.Status() != domain.StatusDue {
			return nil
		}
		return p.StartCharge()
	})
	// Also finishes a call that another message started (which cannot
	// happen today) rather than leave it.
	return h.call.afterIntent(ctx, cmd.OrderID, started, err)
}
