// Package command holds the order service's write side: one handler per
// command, and the ports those handlers need.
package command

import (
	"context"
	"errors"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/domain/order"
)

// OrderRepository stores orders as their event streams. Implementations own
// the transaction: an order's new events, its read models and its outbox
// messages are written together or not at all.
type OrderRepository interface {
	// Add stores a new order. It fails with ErrConcurrentUpdate when an
	// order with the same ID exists. With a key, Add stores the key with the
	// order in the same transaction; when the key was already used with the
	// same fingerprint it stores nothing and returns the earlier order's ID
	// with replayed = true. It fails with ErrIdempotencyKeyReused when the key
	// was used with another fingerprint, and ErrRequestInProgress while
	// another request holding the key has not finished.
	Add(ctx context.Context, o *order.Order, key *IdempotencyKey) (id order.ID, replayed bool, err error)

	// Update loads the order from its events, calls fn, and appends the
	// events fn recorded, in one transaction. It fails with
	// order.ErrNotFound for an unknown order and ErrConcurrentUpdate when
	// another writer appended first; fn's error is returned as is.
	//
	// msg is the consumed message the update is the effect of (the zero Key
	// for an HTTP command): Update records it in the consumer's inbox in the
	// same transaction, and fails with inbox.ErrDuplicate (wrapped), storing
	// nothing, when the consumer already recorded it.
	Update(ctx context.Context, id order.ID, msg inbox.Key, fn func(ctx context.Context, o *order.Order) error) error
}

// IdempotencyKey ties together a client's retries of one request.
type IdempotencyKey struct {
	Key string
	// Fingerprint identifies the request's content.
	Fingerprint string
}

var (
	// ErrConcurrentUpdate means another writer appended to the order's
	// stream first: the caller's view is stale.
	ErrConcurrentUpdate = errors.New("order was changed concurrently")
	// ErrIdempotencyKeyReused means the key came with a different request.
	ErrIdempotencyKeyReused = errors.New("idempotency key was used with a different request")
	// ErrRequestInProgress means another request with the key is running.
	ErrRequestInProgress = errors.New("a request with this idempotency key is in progress")
)
