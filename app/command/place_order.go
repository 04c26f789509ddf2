// Package command holds the application's write side: one handler per
// command, each declaring the ports it needs.
package command

import (
	"context"
	"errors"
	"time"

	"github.com/orderflow/orders/domain/order"
)

// OrderRepository stores orders. Implementations own the transaction: the
// order's new events, its read models and its outbox messages are written
// together or not at all.
type OrderRepository interface {
	// Add stores a new order. It fails with ErrConcurrentUpdate when an
	// order with the same ID already exists.
	Add(ctx context.Context, o *order.Order) error
}

// ErrConcurrentUpdate means another writer appended to the order's stream
// first: the caller's view is stale.
var ErrConcurrentUpdate = errors.New("order was changed concurrently")

// PlaceOrder asks to place a new order with an ID chosen by the caller.
type PlaceOrder struct {
	OrderID order.ID
	Order   order.PlaceInput
}

// PlaceOrderHandler places orders.
type PlaceOrderHandler struct {
	repo OrderRepository
	now  func() time.Time
}

// NewPlaceOrderHandler returns a handler; now is the clock.
func NewPlaceOrderHandler(repo OrderRepository, now func() time.Time) (PlaceOrderHandler, error) {
	if repo == nil {
		return PlaceOrderHandler{}, errors.New("nil order repository")
	}
	if now == nil {
		return PlaceOrderHandler{}, errors.New("nil clock")
	}
	return PlaceOrderHandler{repo: repo, now: now}, nil
}

// Handle validates the order and stores it with its OrderPlaced event.
func (h PlaceOrderHandler) Handle(ctx context.Context, cmd PlaceOrder) error {
	o, err := order.Place(cmd.OrderID, cmd.Order, h.now())
	if err != nil {
		return err
	}
	return h.repo.Add(ctx, o)
}
