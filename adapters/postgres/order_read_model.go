package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orders/app/order/query"
	"github.com/orderflow/orders/domain/order"
)

// OrderReadModel reads the orders read model.
type OrderReadModel struct {
	db *sql.DB
}

var (
	_ query.OrderReadModel          = (*OrderReadModel)(nil)
	_ query.CustomerOrdersReadModel = (*OrderReadModel)(nil)
)

// NewOrderReadModel returns the read model on db.
func NewOrderReadModel(db *sql.DB) (*OrderReadModel, error) {
	if db == nil {
		return nil, errors.New("order read model needs a database")
	}
	return &OrderReadModel{db: db}, nil
}

const orderColumns = `id, customer_id, status, currency, total, items, version,
	cancel_reason, cancel_detail, payment_id, placed_at, updated_at`

// OrderByID returns the order, or order.ErrNotFound.
func (r *OrderReadModel) OrderByID(ctx context.Context, id order.ID) (query.Order, error) {
	if !isOrderID(string(id)) {
		return query.Order{}, order.ErrNotFound // no order has an ID that is not a UUID
	}
	o, err := scanOrder(r.db.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, string(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return query.Order{}, order.ErrNotFound
	}
	if err != nil {
		return query.Order{}, fmt.Errorf("read order %s: %w", id, err)
	}
	return o, nil
}

// CustomerOrders returns a page of the customer's orders, newest first,
// with keyset pagination on (placed_at, id).
func (r *OrderReadModel) CustomerOrders(ctx context.Context, customerID string, limit int, cursor string) (_ query.OrderPage, err error) {
	after, err := decodeCursor(cursor)
	if err != nil {
		return query.OrderPage{}, err
	}
	rows, err := r.db.QueryContext(ctx, `
		SELECT `+orderColumns+` FROM orders
		WHERE customer_id = $1 AND ($2::timestamptz IS NULL OR (placed_at, id) < ($2, $3::uuid))
		ORDER BY placed_at DESC, id DESC
		LIMIT $4`, customerID, after.placedAt, after.id, limit+1)
	if err != nil {
		return query.OrderPage{}, fmt.Errorf("list orders of customer: %w", err)
	}
	defer func() { err = errors.Join(err, rows.Close()) }()

	var page query.OrderPage
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return query.OrderPage{}, fmt.Errorf("list orders of customer: %w", err)
		}
		page.Orders = append(page.Orders, o)
	}
	if err := rows.Err(); err != nil {
		return query.OrderPage{}, fmt.Errorf("list orders of customer: %w", err)
	}
	if len(page.Orders) > limit {
		page.Orders = page.Orders[:limit]
		last := page.Orders[limit-1]
		page.NextCursor = encodeCursor(last.PlacedAt, last.ID)
	}
	return page, nil
}

type scanner interface {
	Scan(dest ...any) error
}

func scanOrder(row scanner) (query.Order, error) {
	var (
		o     query.Order
		items []byte
	)
	err := row.Scan(&o.ID, &o.CustomerID, &o.Status, &o.Currency, &o.Total, &items, &o.Version,
		&o.CancelReason, &o.CancelDetail, &o.PaymentID, &o.PlacedAt, &o.UpdatedAt)
	if err != nil {
		return query.Order{}, err
	}
	var stored []readModelItem
	if err := json.Unmarshal(items, &stored); err != nil {
		return query.Order{}, fmt.Errorf("decode items of order %s: %w", o.ID, err)
	}
	o.Items = make([]query.OrderItem, len(stored))
	for i, it := range stored {
		o.Items[i] = query.OrderItem(it)
	}
	o.PlacedAt, o.UpdatedAt = o.PlacedAt.UTC(), o.UpdatedAt.UTC()
	return o, nil
}

// cursorPosition is where a page ends: the last order's (placed_at, id).
type cursorPosition struct {
	placedAt *time.Time
	id       *string
}

// A cursor is the last order's placed_at in microseconds since the epoch
// (PostgreSQL's precision), a dot, and its ID as 32 hex digits: every
// string of the document's pattern ^[0-9]{1,16}\.[0-9a-f]{32}$ is a
// position a page can start from, so no cursor the document allows is
// refused.
func encodeCursor(placedAt time.Time, id string) string {
	return strconv.FormatInt(placedAt.UnixMicro(), 10) + "." + strings.ReplaceAll(id, "-", "")
}

func decodeCursor(cursor string) (cursorPosition, error) {
	if cursor == "" {
		return cursorPosition{}, nil
	}
	invalid := fmt.Errorf("%w: cursor is not one this service issued", query.ErrInvalidQuery)
	at, hexID, ok := strings.Cut(cursor, ".")
	if !ok || len(at) < 1 || len(at) > 16 || len(hexID) != 32 || strings.ToLower(hexID) != hexID {
		return cursorPosition{}, invalid
	}
	micros, err := strconv.ParseInt(at, 10, 64)
	if err != nil || micros < 0 {
		return cursorPosition{}, invalid
	}
	parsed, err := uuid.Parse(hexID)
	if err != nil {
		return cursorPosition{}, invalid
	}
	placedAt, id := time.UnixMicro(micros).UTC(), parsed.String()
	return cursorPosition{placedAt: &placedAt, id: &id}, nil
}
