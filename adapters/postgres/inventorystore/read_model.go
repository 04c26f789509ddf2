package inventorystore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/inventory/query"
)

// StockReadModel reads stock levels, with its statement prepared.
type StockReadModel struct {
	stmts *pgtx.Statements
}

var _ query.StockReadModel = (*StockReadModel)(nil)

// NewStockReadModel returns the read model on db.
func NewStockReadModel(db *sql.DB) (*StockReadModel, error) {
	if db == nil {
		return nil, errors.New("stock read model needs a database")
	}
	stmts, err := pgtx.NewStatements(db)
	if err != nil {
		return nil, err
	}
	return &StockReadModel{stmts: stmts}, nil
}

// StockLevel implements app.StockReadModel.
func (m *StockReadModel) StockLevel(ctx context.Context, sku string) (query.StockLevel, error) {
	l := query.StockLevel{SKU: sku}
	err := m.stmts.QueryRowContext(ctx, `SELECT on_hand, reserved, updated_at FROM inventory_stock WHERE sku = $1`, sku).
		Scan(&l.OnHand, &l.Reserved, &l.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return query.StockLevel{}, query.ErrUnknownSKU
	}
	if err != nil {
		return query.StockLevel{}, fmt.Errorf("read stock of %s: %w", sku, err)
	}
	l.Available = l.OnHand - l.Reserved
	l.UpdatedAt = l.UpdatedAt.UTC()
	return l, nil
}
