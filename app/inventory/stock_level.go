package inventory

import (
	"context"
	"errors"
)

// StockLevelHandler answers "how many units of SKU X are there?".
type StockLevelHandler struct {
	readModel StockReadModel
}

// NewStockLevelHandler returns a handler over the read model.
func NewStockLevelHandler(readModel StockReadModel) (StockLevelHandler, error) {
	if readModel == nil {
		return StockLevelHandler{}, errors.New("nil stock read model")
	}
	return StockLevelHandler{readModel: readModel}, nil
}

// Handle returns the SKU's stock, or ErrUnknownSKU.
func (h StockLevelHandler) Handle(ctx context.Context, sku string) (StockLevel, error) {
	return h.readModel.StockLevel(ctx, sku)
}
