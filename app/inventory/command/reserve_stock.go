package command

import (
	"context"
	"errors"
	"time"

	"github.com/orderflow/orders/app/inbox"
	domain "github.com/orderflow/orders/domain/inventory"
)

// ReserveStock asks to hold every line of a newly placed order.
type ReserveStock struct {
	// Message is the consumed message the command is the effect of.
	Message inbox.Key
	OrderID string
	Lines   []domain.Line
}

// ReserveStockHandler reserves stock, all lines or none.
type ReserveStockHandler struct {
	repo Repository
	now  func() time.Time
}

// NewReserveStockHandler returns a handler; now is the clock.
func NewReserveStockHandler(repo Repository, now func() time.Time) (ReserveStockHandler, error) {
	if repo == nil {
		return ReserveStockHandler{}, errors.New("nil inventory repository")
	}
	if now == nil {
		return ReserveStockHandler{}, errors.New("nil clock")
	}
	return ReserveStockHandler{repo: repo, now: now}, nil
}

// Handle reserves the order's lines, or records why it cannot. Either
// outcome is a success: the rejection is an event like the reservation.
func (h ReserveStockHandler) Handle(ctx context.Context, cmd ReserveStock) (domain.Status, error) {
	var status domain.Status
	err := h.repo.Reserve(ctx, cmd.Message, cmd.OrderID, domain.SKUsOf(cmd.Lines), func(stock domain.Stock) (*domain.Reservation, error) {
		r, err := domain.Reserve(cmd.OrderID, cmd.Lines, stock, h.now())
		if err != nil {
			return nil, err
		}
		status = r.Status()
		return r, nil
	})
	return status, err
}
