package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/orderflow/orders/app/query"
	"github.com/orderflow/orders/domain/order"
)

// OrderReadModel reads the orders read model.
type OrderReadModel struct {
	db *sql.DB
}

// NewOrderReadModel returns the read model on db.
func NewOrderReadModel(db *sql.DB) (*OrderReadModel, error) {
	if db == nil {
		return nil, errors.New("order read model needs a database")
	}
	return &OrderReadModel{db: db}, nil
}

// OrderByID returns the order, or order.ErrNotFound.
func (r *OrderReadModel) OrderByID(ctx context.Context, id order.ID) (query.Order, error) {
	if _, err := uuid.Parse(string(id)); err != nil {
		return query.Order{}, order.ErrNotFound // no order has an ID that is not a UUID
	}
	var (
		o     query.Order
		items []byte
	)
	err := r.db.QueryRowContext(ctx, `
		SELECT id, customer_id, status, currency, total, items, version, placed_at, updated_at
		FROM orders WHERE id = $1`, string(id)).
		Scan(&o.ID, &o.CustomerID, &o.Status, &o.Currency, &o.Total, &items, &o.Version, &o.PlacedAt, &o.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return query.Order{}, order.ErrNotFound
	}
	if err != nil {
		return query.Order{}, fmt.Errorf("read order %s: %w", id, err)
	}
	var stored []readModelItem
	if err := json.Unmarshal(items, &stored); err != nil {
		return query.Order{}, fmt.Errorf("decode items of order %s: %w", id, err)
	}
	o.Items = make([]query.OrderItem, len(stored))
	for i, it := range stored {
		o.Items[i] = query.OrderItem(it)
	}
	o.PlacedAt, o.UpdatedAt = o.PlacedAt.UTC(), o.UpdatedAt.UTC()
	return o, nil
}
