package command

import (
	"context"
	"errors"
	"time"

	"github.com/orderflow/orders/app/inbox"
	domain "github.com/orderflow/orders/domain/inventory"
)

// CommitStock takes a shipped order's held units out of the warehouse.
type CommitStock struct {
	// Message is the consumed message the command is the effect of.
	Message inbox.Key
	OrderID string
}

// CommitStockHandler commits reservations.
type CommitStockHandler struct {
	repo Repository
	now  func() time.Time
}

// NewCommitStockHandler returns a handler; now is the clock.
func NewCommitStockHandler(repo Repository, now func() time.Time) (CommitStockHandler, error) {
	if repo == nil {
		return CommitStockHandler{}, errors.New("nil inventory repository")
	}
	if now == nil {
		return CommitStockHandler{}, errors.New("nil clock")
	}
	return CommitStockHandler{repo: repo, now: now}, nil
}

// Handle commits the order's held stock.
func (h CommitStockHandler) Handle(ctx context.Context, cmd CommitStock) error {
	return h.repo.UpdateReservation(ctx, cmd.Message, cmd.OrderID, func(r *domain.Reservation, stock domain.Stock) error {
		return r.Commit(stock, h.now())
	})
}
