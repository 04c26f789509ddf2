package payment

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
	repo    Repository
	gateway Gateway
	now     func() time.Time
}

// NewCancelPaymentHandler returns a handler; now is the clock.
func NewCancelPaymentHandler(repo Repository, gateway Gateway, now func() time.Time) (CancelPaymentHandler, error) {
	if repo == nil || gateway == nil {
		return CancelPaymentHandler{}, errors.New("cancel handler needs a repository and a gateway")
	}
	if now == nil {
		return CancelPaymentHandler{}, errors.New("nil clock")
	}
	return CancelPaymentHandler{repo: repo, gateway: gateway, now: now}, nil
}

// RefundKey is the gateway idempotency key of an order's refund.
func RefundKey(orderID string) string { return "refund:" + orderID }

// Handle refunds a captured payment once, voids a due one, and leaves a
// declined, refunded or voided one as it is.
func (h CancelPaymentHandler) Handle(ctx context.Context, cmd CancelPayment) (domain.Status, error) {
	var status domain.Status
	err := h.repo.Update(ctx, cmd.Message, cmd.OrderID, func(ctx context.Context, p *domain.Payment) error {
		defer func() { status = p.Status() }()
		switch p.Status() {
		case domain.StatusDue:
			return p.Void()
		case domain.StatusCaptured:
			res, err := h.gateway.Refund(ctx, Refund{
				IdempotencyKey: RefundKey(p.OrderID()), OrderID: p.OrderID(), PaymentID: p.PaymentID(),
				Amount: p.Amount(), Currency: p.Currency(),
			})
			if err != nil {
				return err
			}
			return p.Refund(res.RefundID, h.now())
		default:
			return nil
		}
	})
	return status, err
}
