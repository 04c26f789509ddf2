// Package query holds the inventory service's read side: the stock level
// query and the read model port it needs.
package query

import (
	"context"
	"errors"
	"time"

	domain "github.com/orderflow/orders/domain/inventory"
)

// StockLevel is one SKU's stock as operators see it.
type StockLevel struct {
	SKU       string
	OnHand    int64
	Reserved  int64
	Available int64
	UpdatedAt time.Time
}

// StockReadModel reads stock levels.
type StockReadModel interface {
	// StockLevel returns ErrUnknownSKU for a SKU that was never stocked.
	StockLevel(ctx context.Context, sku string) (StockLevel, error)
}

// ErrUnknownSKU means no stock was ever recorded for the SKU.
var ErrUnknownSKU = errors.New("no stock is recorded for this SKU")

// GetStockLevel asks how many units of a SKU there are.
type GetStockLevel struct {
	SKU string
}

// GetStockLevelHandler answers GetStockLevel from the read model.
type GetStockLevelHandler struct {
	readModel StockReadModel
}

// NewGetStockLevelHandler returns a handler over the read model.
func NewGetStockLevelHandler(readModel StockReadModel) (GetStockLevelHandler, error) {
	if readModel == nil {
		return GetStockLevelHandler{}, errors.New("nil stock read model")
	}
	return GetStockLevelHandler{readModel: readModel}, nil
}

// Handle returns the SKU's stock, or ErrUnknownSKU.
func (h GetStockLevelHandler) Handle(ctx context.Context, q GetStockLevel) (StockLevel, error) {
	if !domain.ValidSKU(q.SKU) { // never stocked: SetStock refuses it
		return StockLevel{}, ErrUnknownSKU
	}
	return h.readModel.StockLevel(ctx, q.SKU)
}
