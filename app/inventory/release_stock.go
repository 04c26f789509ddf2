package inventory

import (
	"context"
	"errors"
	"time"

	"github.com/orderflow/orders/app/inbox"
	domain "github.com/orderflow/orders/domain/inventory"
)

// ReleaseStock gives a cancelled order's held units back.
type ReleaseStock struct {
	// Message is the consumed message the command is the effect of.
	Message inbox.Key
	OrderID string
}

// CommitStock takes a shipped order's held units out of the warehouse.
type CommitStock struct {
	// Message is the consumed message the command is the effect of.
	Message inbox.Key
	OrderID string
}

// ReservationHandler releases and commits reservations.
type ReservationHandler struct {
	repo Repository
	now  func() time.Time
}

// NewReservationHandler returns a handler; now is the clock.
func NewReservationHandler(repo Repository, now func() time.Time) (ReservationHandler, error) {
	if repo == nil {
		return ReservationHandler{}, errors.New("nil inventory repository")
	}
	if now == nil {
		return ReservationHandler{}, errors.New("nil clock")
	}
	return ReservationHandler{repo: repo, now: now}, nil
}

// Release releases the order's held stock; a reservation that holds
// nothing (rejected, or released before) is left as it is.
func (h ReservationHandler) Release(ctx context.Context, cmd ReleaseStock) error {
	return h.repo.UpdateReservation(ctx, cmd.Message, cmd.OrderID, func(r *domain.Reservation, stock domain.Stock) error {
		return r.Release(stock, h.now())
	})
}

// Commit commits the order's held stock.
func (h ReservationHandler) Commit(ctx context.Context, cmd CommitStock) error {
	return h.repo.UpdateReservation(ctx, cmd.Message, cmd.OrderID, func(r *domain.Reservation, stock domain.Stock) error {
		return r.Commit(stock, h.now())
	})
}
