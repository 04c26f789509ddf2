package payment

import (
	"context"
	"errors"
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
	repo    Repository
	gateway Gateway
	now     func() time.Time
}

// NewChargePaymentHandler returns a handler; now is the clock.
func NewChargePaymentHandler(repo Repository, gateway Gateway, now func() time.Time) (ChargePaymentHandler, error) {
	if repo == nil || gateway == nil {
		return ChargePaymentHandler{}, errors.New("charge handler needs a repository and a gateway")
	}
	if now == nil {
		return ChargePaymentHandler{}, errors.New("nil clock")
	}
	return ChargePaymentHandler{repo: repo, gateway: gateway, now: now}, nil
}

// ChargeKey is the gateway idempotency key of an order's charge: one per
// order, so no retry or redelivery can charge an order twice.
func ChargeKey(orderID string) string { return "charge:" + orderID }

// Handle charges the amount due and records the gateway's answer. A
// payment that is not due any more (charged before, or voided because the
// order was cancelled first) is left as it is.
func (h ChargePaymentHandler) Handle(ctx context.Context, cmd ChargePayment) (domain.Status, error) {
	var status domain.Status
	err := h.repo.Update(ctx, cmd.Message, cmd.OrderID, func(ctx context.Context, p *domain.Payment) error {
		status = p.Status()
		if p.Status() != domain.StatusDue {
			return nil
		}
		res, err := h.gateway.Charge(ctx, Charge{
			IdempotencyKey: ChargeKey(p.OrderID()), OrderID: p.OrderID(), Amount: p.Amount(), Currency: p.Currency(),
		})
		if err != nil {
			return err
		}
		if res.Captured {
			err = p.Capture(res.PaymentID, h.now())
		} else {
			err = p.Decline(res.DeclineReason, h.now())
		}
		status = p.Status()
		return err
	})
	return status, err
}
