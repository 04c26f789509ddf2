package command

import (
	"context"
	"errors"

	domain "github.com/orderflow/orders/domain/inventory"
)

// SetStock records an operator's count of a SKU's units on hand.
type SetStock struct {
	SKU    string
	OnHand int64
}

// SetStockHandler sets stock levels.
type SetStockHandler struct {
	repo Repository
}

// NewSetStockHandler returns a handler.
func NewSetStockHandler(repo Repository) (SetStockHandler, error) {
	if repo == nil {
		return SetStockHandler{}, errors.New("nil inventory repository")
	}
	return SetStockHandler{repo: repo}, nil
}

// Handle sets the units on hand; it fails with domain.ErrBelowReserved
// when orders hold more units than that.
func (h SetStockHandler) Handle(ctx context.Context, cmd SetStock) error {
	if _, err := domain.NewItem(cmd.SKU, 0, 0); err != nil {
		return err
	}
	return h.repo.UpdateItem(ctx, cmd.SKU, func(it *domain.Item) error {
		return it.SetOnHand(cmd.OnHand)
	})
}
