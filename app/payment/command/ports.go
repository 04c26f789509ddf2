// Package command holds the payment service's write side: the commands
// that charge an order's payment (opening it) and cancel it, and the ports
// they need, the payment gateway among them.
package command

import (
	"context"
	"errors"

	"github.com/orderflow/orders/app/inbox"
	domain "github.com/orderflow/orders/domain/payment"
)

// Repository stores payments. Implementations own the transaction: a
// payment's new state and the events it recorded (through the service's
// outbox) are written together or not at all. The consumed message the
// work is the effect of (msg) is recorded in the payment service's inbox in
// that transaction too; a message already recorded fails with
// inbox.ErrDuplicate.
type Repository interface {
	// AddWithoutEvents stores a new payment that publishes nothing (one
	// opened with its charge's intent); ErrPaymentExists when the order
	// has one. It fails if p recorded an event. It returns once p is
	// committed, also when it is one of a batch's: an intent is acted on
	// next, outside the database.
	AddWithoutEvents(ctx context.Context, msg inbox.Key, p *domain.Payment) error
	// Update locks the order's payment, calls fn and stores what fn
	// changed. fn runs inside the transaction and must not call the
	// gateway: a slow gateway would hold the row lock, a connection and
	// the outbox forwarder's view of the order's shard. The zero msg records
	// nothing in the inbox. domain.ErrNotFound for an unknown order.
	Update(ctx context.Context, msg inbox.Key, orderID string, fn func(ctx context.Context, p *domain.Payment) error) error
	// UpdateWithoutEvents is Update for a change that publishes nothing
	// (an intent, a void): the transaction does not declare itself to the
	// outbox forwarder, which then never waits for it. It fails if fn records
	// an event. It returns once the change is committed, also when it is
	// one of a batch's: an intent is acted on next, outside the database.
	UpdateWithoutEvents(ctx context.Context, msg inbox.Key, orderID string, fn func(ctx context.Context, p *domain.Payment) error) error
	// Get reads the order's payment without locking it.
	// domain.ErrNotFound for an unknown order.
	Get(ctx context.Context, orderID string) (*domain.Payment, error)
}

// ErrPaymentExists means the order's payment was opened before.
var ErrPaymentExists = errors.New("the order has a payment already")

// Gateway is the payment provider. Both calls are idempotent on their
// key: a repeated call with a key returns the first call's outcome without
// moving money again. An error means the outcome is unknown; the caller
// retries with the same key.
type Gateway interface {
	Charge(ctx context.Context, c Charge) (ChargeResult, error)
	Refund(ctx context.Context, r Refund) (RefundResult, error)
}

// Charge asks the gateway to take an amount for an order.
type Charge struct {
	IdempotencyKey string
	OrderID        string
	Amount         int64
	Currency       string
}

// ChargeResult is the gateway's answer: captured with a payment ID, or
// declined with a reason.
type ChargeResult struct {
	Captured      bool
	PaymentID     string
	DeclineReason string
}

// Refund asks the gateway to give a captured amount back.
type Refund struct {
	IdempotencyKey string
	OrderID        string
	PaymentID      string
	Amount         int64
	Currency       string
}

// RefundResult is the gateway's answer to a refund.
type RefundResult struct {
	RefundID string
}
