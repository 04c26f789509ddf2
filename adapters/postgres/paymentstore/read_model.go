package paymentstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/payment/query"
)

// ReadModel reads payments, with its statement prepared.
type ReadModel struct {
	stmts *pgtx.Statements
}

var _ query.ReadModel = (*ReadModel)(nil)

// NewReadModel returns the read model on db.
func NewReadModel(db *sql.DB) (*ReadModel, error) {
	if db == nil {
		return nil, errors.New("payment read model needs a database")
	}
	stmts, err := pgtx.NewStatements(db)
	if err != nil {
		return nil, err
	}
	return &ReadModel{stmts: stmts}, nil
}

// PaymentsOfOrder implements app.ReadModel.
func (m *ReadModel) PaymentsOfOrder(ctx context.Context, orderID string) (_ []query.Payment, err error) {
	id, err := uuid.Parse(orderID)
	if err != nil {
		return []query.Payment{}, nil // no payment belongs to an ID that is not a UUID
	}
	// The canonical form: uuid.Parse also reads forms PostgreSQL does not
	// (urn:uuid:…), and the column compares UUIDs, not their spelling.
	orderID = id.String()
	rows, err := m.stmts.QueryContext(ctx, `
		SELECT order_id, amount, currency, status, payment_id, refund_id, reason, created_at, updated_at
		FROM payments WHERE order_id = $1`, orderID)
	if err != nil {
		return nil, fmt.Errorf("read payments of order %s: %w", orderID, err)
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	payments := []query.Payment{}
	for rows.Next() {
		var p query.Payment
		if err := rows.Scan(&p.OrderID, &p.Amount, &p.Currency, &p.Status, &p.PaymentID, &p.RefundID, &p.Reason, &p.CreatedAt, &p.UpdatedAt); err != nil {
			return nil, fmt.Errorf("scan payment: %w", err)
		}
		p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
		payments = append(payments, p)
	}
	return payments, rows.Err()
}
