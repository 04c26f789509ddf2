package command

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
	// Amount and Currency are the order's total, which the payment opens
	// with. An empty Currency means the message did not carry it (an
	// OrderStockReserved of schema version 1): the payment must have been
	// opened before, from the order's OrderPlaced, by an earlier release.
	Amount   int64
	Currency string
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

// Handle opens the order's payment with its total, charges it and records
// the gateway's answer, in three steps (see gatewayCall). A payment opened
// before (due, by an earlier release) is charged as it is; one that is not
// due any more (charged before, or voided because the order was cancelled
// first) is left as it is. A redelivered message finishes what its first
// delivery started.
func (h ChargePaymentHandler) Handle(ctx context.Context, cmd ChargePayment) (domain.Status, error) {
	if cmd.Currency != "" {
		status, err := h.openAndCharge(ctx, cmd)
		if !errors.Is(err, ErrPaymentExists) {
			return status, err
		}
	}
	return h.chargeOpened(ctx, cmd)
}

// openAndCharge opens the order's payment already charging (the intent,
// committed with the message's inbox record), then calls the gateway.
// ErrPaymentExists when the order has a payment.
func (h ChargePaymentHandler) openAndCharge(ctx context.Context, cmd ChargePayment) (domain.Status, error) {
	p, err := domain.Open(cmd.OrderID, cmd.Amount, cmd.Currency)
	if err != nil {
		return "", err
	}
	if err := p.StartCharge(); err != nil {
		return "", err
	}
	err = h.call.repo.AddWithoutEvents(ctx, cmd.Message, p)
	if errors.Is(err, ErrPaymentExists) {
		return "", err
	}
	return h.call.afterIntent(ctx, cmd.OrderID, p, err)
}

// chargeOpened charges a payment opened before: due → charging, then the
// gateway.
func (h ChargePaymentHandler) chargeOpened(ctx context.Context, cmd ChargePayment) (domain.Status, error) {
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
