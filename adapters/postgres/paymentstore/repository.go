// Package paymentstore is the payment service's storage on PostgreSQL:
// payments, and the unit of work that writes them with the service's inbox
// record and outbox messages.
package paymentstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/orderflow/orders/adapters/outcomecodec"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/adapters/postgres/messagestore"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	app "github.com/orderflow/orders/app/payment"
	domain "github.com/orderflow/orders/domain/payment"
	"github.com/orderflow/orders/internal/correlation"
)

// Repository implements the payment service's Repository port.
type Repository struct {
	db          *sql.DB
	outbox      postgres.Outbox
	eventsTopic string
}

var _ app.Repository = (*Repository)(nil)

// NewRepository returns a repository that publishes payment events to the
// Kafka topic eventsTopic through outbox.
func NewRepository(db *sql.DB, outbox postgres.Outbox, eventsTopic string) (*Repository, error) {
	if db == nil || outbox == nil {
		return nil, errors.New("payment repository needs a database and an outbox")
	}
	if eventsTopic == "" {
		return nil, errors.New("payment repository needs an events topic")
	}
	return &Repository{db: db, outbox: outbox, eventsTopic: eventsTopic}, nil
}

// Add implements app.Repository.
func (r *Repository) Add(ctx context.Context, p *domain.Payment) error {
	return r.inTx(ctx, func(uow *pgtx.UnitOfWork) error {
		tx := uow.Tx
		res, err := tx.ExecContext(ctx, `
			INSERT INTO payments (order_id, amount, currency, status, payment_id, refund_id, reason)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id) DO NOTHING`,
			p.OrderID(), p.Amount(), p.Currency(), string(p.Status()), p.PaymentID(), p.RefundID(), p.Reason())
		if err != nil {
			return fmt.Errorf("store payment of order %s: %w", p.OrderID(), err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(fmt.Errorf("order %s: %w", p.OrderID(), app.ErrPaymentExists), err)
		}
		return r.publish(ctx, uow, p)
	})
}

// Update implements app.Repository.
func (r *Repository) Update(ctx context.Context, orderID string, fn func(context.Context, *domain.Payment) error) error {
	return r.inTx(ctx, func(uow *pgtx.UnitOfWork) error {
		tx := uow.Tx
		var (
			amount                                        int64
			currency, status, paymentID, refundID, reason string
		)
		err := tx.QueryRowContext(ctx, `
			SELECT amount, currency, status, payment_id, refund_id, reason FROM payments WHERE order_id = $1 FOR UPDATE`, orderID).
			Scan(&amount, &currency, &status, &paymentID, &refundID, &reason)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("order %s: %w", orderID, domain.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("load payment of order %s: %w", orderID, err)
		}
		p, err := domain.Restore(orderID, amount, currency, domain.Status(status), paymentID, refundID, reason)
		if err != nil {
			return err
		}
		before := p.Status()
		if err := fn(ctx, p); err != nil {
			return err
		}
		if p.Status() == before {
			return nil
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE payments SET status = $2, payment_id = $3, refund_id = $4, reason = $5, updated_at = now()
			WHERE order_id = $1`, orderID, string(p.Status()), p.PaymentID(), p.RefundID(), p.Reason())
		if err != nil {
			return fmt.Errorf("update payment of order %s: %w", orderID, err)
		}
		return r.publish(ctx, uow, p)
	})
}

func (r *Repository) inTx(ctx context.Context, fn func(uow *pgtx.UnitOfWork) error) error {
	return pgtx.Do(ctx, r.db, func(uow *pgtx.UnitOfWork) error {
		if err := messagestore.RecordInbox(ctx, uow.Tx, messagestore.PaymentTables.Inbox, time.Now()); err != nil {
			return err
		}
		return fn(uow)
	})
}

func (r *Repository) publish(ctx context.Context, uow *pgtx.UnitOfWork, p *domain.Payment) error {
	changes := p.Changes()
	if len(changes) == 0 {
		return nil
	}
	recorded := make([]outcomecodec.Recorded, len(changes))
	for i, c := range changes {
		recorded[i] = outcomecodec.Recorded{OccurredAt: c.OccurredAt, Event: c.Event}
	}
	msgs, err := outcomecodec.Messages(p.OrderID(), recorded)
	if err != nil {
		return err
	}
	correlation.Stamp(ctx, msgs...)
	return r.outbox.Publish(ctx, uow, r.eventsTopic, msgs...)
}
