// Package command holds the inventory service's write side: the commands
// that reserve, release and commit stock for orders and set stock levels,
// and the repository port they need.
package command

import (
	"context"
	"errors"

	"github.com/orderflow/orders/app/inbox"
	domain "github.com/orderflow/orders/domain/inventory"
)

// Repository stores stock and reservations. Implementations own the
// transaction: the stock rows a command changes, its reservation and the
// events it recorded (through the service's outbox) are written together
// or not at all. A method given a consumed message's key (msg, zero when
// no message caused the work) records it in the inventory's inbox in that
// transaction too; a message already recorded fails with
// inbox.ErrDuplicate.
type Repository interface {
	// Reserve locks the stock rows of skus (sorted, so that concurrent
	// reservations cannot deadlock; a SKU without a row has no stock),
	// calls fn with them and stores the reservation fn returns, the stock
	// it changed and its events. It fails with ErrReservationExists when
	// the order has a reservation already.
	Reserve(ctx context.Context, msg inbox.Key, orderID string, skus []string, fn func(stock domain.Stock) (*domain.Reservation, error)) error

	// UpdateReservation locks the order's reservation and the stock rows
	// of its SKUs, calls fn, and stores what fn changed. It fails with
	// domain.ErrNotFound when the order has no reservation.
	UpdateReservation(ctx context.Context, msg inbox.Key, orderID string, fn func(r *domain.Reservation, stock domain.Stock) error) error

	// UpdateItem locks one SKU's stock row (a new SKU starts with none),
	// calls fn and stores the item.
	UpdateItem(ctx context.Context, sku string, fn func(it *domain.Item) error) error
}

// ErrReservationExists means the order's stock was reserved (or
// rejected) before: the reservation is not made twice.
var ErrReservationExists = errors.New("the order has a stock reservation already")
