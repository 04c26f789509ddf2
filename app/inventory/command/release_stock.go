package command

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

// ReleaseStockHandler releases reservations.
type ReleaseStockHandler struct {
	repo Repository
	now  func() time.Time
}

// NewReleaseStockHandler returns a handler; now is the clock.
func NewReleaseStockHandler(repo Repository, now func() time.Time) (ReleaseStockHandler, error) {
	if repo == nil {
		return ReleaseStockHandler{}, errors.New("nil inventory repository")
	}
	if now == nil {
		return ReleaseStockHandler{}, errors.New("nil clock")
	}
	return ReleaseStockHandler{repo: repo, now: now}, nil
}

// Handle releases the order's held stock; a reservation that holds
// nothing (rejected, or released before) is left as it is.
func (h ReleaseStockHandler) Handle(ctx context.Context, cmd ReleaseStock) error {
	return h.repo.UpdateReservation(ctx, cmd.Message, cmd.OrderID, func(r *domain.Reservation, stock domain.Stock) error {
		return r.Release(stock, h.now())
	})
}
