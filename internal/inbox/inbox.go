// Package inbox carries, in a context, which consumed message a piece of
// work belongs to, so that the repository doing the work records the
// message in its consumer's inbox in the same transaction as the effect.
// A second delivery of the message then finds the record and changes
// nothing: ErrDuplicate.
package inbox

import (
	"context"

	appinbox "github.com/orderflow/orders/app/inbox"
)

// Key identifies one message for one consumer.
type Key struct {
	Consumer  string
	MessageID string
}

// ErrDuplicate means the consumer already applied the message: the
// transaction that found it rolled back, and the delivery is to be
// acknowledged without further effect.
// It is app/inbox's error, so that either package's callers match it.
var ErrDuplicate = appinbox.ErrDuplicate

type ctxKey struct{}

// WithKey returns ctx carrying the message key k.
func WithKey(ctx context.Context, k Key) context.Context {
	return context.WithValue(ctx, ctxKey{}, k)
}

// FromContext returns the message key ctx carries, if any.
func FromContext(ctx context.Context) (Key, bool) {
	k, ok := ctx.Value(ctxKey{}).(Key)
	return k, ok && k.Consumer != "" && k.MessageID != ""
}
