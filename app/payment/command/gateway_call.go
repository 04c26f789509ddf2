package command

import (
	"context"
	"errors"
	"time"

	"github.com/orderflow/orders/app/inbox"
	domain "github.com/orderflow/orders/domain/payment"
)

// gatewayCall makes the gateway call a payment recorded as started
// (charging, refunding) and records the answer. It is the second and third
// step of every call: (1) the intent is committed with the inbox record of
// the message that caused it, (2) the gateway is called outside any
// transaction with the order's idempotency key, (3) the answer and its
// event are committed. A crash between the steps leaves the intent; the
// redelivered message finds its inbox record and the intent, and finishes
// it here: the repeated call returns the gateway's first answer, so money
// moves once and the answer is recorded once.
type gatewayCall struct {
	repo    Repository
	gateway Gateway
	now     func() time.Time
}

func newGatewayCall(repo Repository, gateway Gateway, now func() time.Time) (gatewayCall, error) {
	if repo == nil || gateway == nil {
		return gatewayCall{}, errors.New("payment handlers need a repository and a gateway")
	}
	if now == nil {
		return gatewayCall{}, errors.New("nil clock")
	}
	return gatewayCall{repo: repo, gateway: gateway, now: now}, nil
}

// afterIntent takes over once a handler's first step (recording the intent
// with its message) returned err, leaving the payment started: it finishes
// the call started. A redelivered message (inbox.ErrDuplicate) finishes a
// call its first delivery left unanswered, and answers the duplicate only
// once that is done, so that a crash's leftover is never acknowledged.
func (c gatewayCall) afterIntent(ctx context.Context, orderID string, started *domain.Payment, err error) (domain.Status, error) {
	if errors.Is(err, inbox.ErrDuplicate) {
		status, resumeErr := c.resume(ctx, orderID)
		if resumeErr != nil {
			return status, resumeErr
		}
		return status, err
	}
	if err != nil {
		return "", err
	}
	return c.finish(ctx, started)
}

// resume finishes the order's payment if it awaits the gateway, and
// answers its status.
func (c gatewayCall) resume(ctx context.Context, orderID string) (domain.Status, error) {
	p, err := c.repo.Get(ctx, orderID)
	if err != nil {
		return "", err
	}
	return c.finish(ctx, p)
}

// finish makes the call p awaits (none when it awaits nothing) and records
// the answer, unless another delivery recorded it first.
func (c gatewayCall) finish(ctx context.Context, p *domain.Payment) (domain.Status, error) {
	var record func(p *domain.Payment) error
	switch p.Status() {
	case domain.StatusCharging:
		res, err := c.gateway.Charge(ctx, Charge{
			IdempotencyKey: ChargeKey(p.OrderID()), OrderID: p.OrderID(), Amount: p.Amount(), Currency: p.Currency(),
		})
		if err != nil {
			return p.Status(), err
		}
		record = func(p *domain.Payment) error {
			if res.Captured {
				return p.Capture(res.PaymentID, c.now())
			}
			return p.Decline(res.DeclineReason, c.now())
		}
	case domain.StatusRefunding:
		res, err := c.gateway.Refund(ctx, Refund{
			IdempotencyKey: RefundKey(p.OrderID()), OrderID: p.OrderID(), PaymentID: p.PaymentID(),
			Amount: p.Amount(), Currency: p.Currency(),
		})
		if err != nil {
			return p.Status(), err
		}
		record = func(p *domain.Payment) error { return p.Refund(res.RefundID, c.now()) }
	default:
		return p.Status(), nil
	}
	awaited := p.Status()
	var status domain.Status
	// No inbox record: the message that caused the call was recorded with
	// its intent.
	err := c.repo.Update(ctx, inbox.Key{}, p.OrderID(), func(_ context.Context, p *domain.Payment) error {
		defer func() { status = p.Status() }()
		if p.Status() != awaited {
			return nil // a concurrent delivery recorded the answer first
		}
		return record(p)
	})
	return status, err
}

// ChargeKey is the gateway idempotency key of an order's charge: one per
// order, so no retry or redelivery can charge an order twice.
func ChargeKey(orderID string) string { return "charge:" + orderID }

// RefundKey is the gateway idempotency key of an order's refund.
func RefundKey(orderID string) string { return "refund:" + orderID }
