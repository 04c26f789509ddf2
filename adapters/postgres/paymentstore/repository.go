// Package paymentstore is the payment service's storage on PostgreSQL:
// payments, and the unit of work that writes them with the service's inbox
// record and outbox messages.
package paymentstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/postgres/messagestore"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/app/payment/command"
	domain "github.com/orderflow/orders/domain/payment"
)

// Outbox publishes messages within a unit of work (adapters/outbox).
type Outbox interface {
	// Announce declares, before the transaction's first write, the
	// partition keys (order IDs) whose messages it may publish: the
	// outbox forwarder blocks only the shards of open writers, and knows
	// them from this (adapters/outbox's Announce).
	Announce(ctx context.Context, uow *pgtx.UnitOfWork, partitionKeys ...string) error
	Publish(ctx context.Context, uow *pgtx.UnitOfWork, destination string, msgs ...*message.Message) error
}

// Repository implements the payment service's Repository port.
//
// Its statements run prepared (pgtx.Statements), as the order
// repository's do: one round trip each instead of two.
type Repository struct {
	stmts       *pgtx.Statements
	outbox      Outbox
	eventsTopic string
}

var _ command.Repository = (*Repository)(nil)

// NewRepository returns a repository that publishes payment events to the
// Kafka topic eventsTopic through outbox.
func NewRepository(db *sql.DB, outbox Outbox, eventsTopic string) (*Repository, error) {
	if db == nil || outbox == nil {
		return nil, errors.New("payment repository needs a database and an outbox")
	}
	if eventsTopic == "" {
		return nil, errors.New("payment repository needs an events topic")
	}
	stmts, err := pgtx.NewStatements(db)
	if err != nil {
		return nil, err
	}
	return &Repository{stmts: stmts, outbox: outbox, eventsTopic: eventsTopic}, nil
}

// Add stores a new payment; command.ErrPaymentExists when the order has
// one. A payment without events (an opened one) publishes nothing, so its
// transaction does not announce itself to the outbox forwarder.
func (r *Repository) Add(ctx context.Context, msg inbox.Key, p *domain.Payment) error {
	announced := ""
	if len(p.Changes()) > 0 {
		announced = p.OrderID()
	}
	return r.inTx(ctx, msg, announced, func(uow *pgtx.UnitOfWork) error {
		if err := pgtx.Gather(ctx, uow, paymentsKey{}, func(ctx context.Context, ps []*domain.Payment) error {
			return insert(ctx, uow, ps)
		}, p); err != nil {
			return err
		}
		return r.publish(ctx, uow, p)
	})
}

// AddWithoutEvents implements command.Repository. In a batch it returns
// once the batch has committed (pgtx.AwaitCommit), as UpdateWithoutEvents
// does.
func (r *Repository) AddWithoutEvents(ctx context.Context, msg inbox.Key, p *domain.Payment) error {
	if len(p.Changes()) > 0 {
		return fmt.Errorf("payment of order %s recorded events, added without events", p.OrderID())
	}
	if err := r.Add(ctx, msg, p); err != nil {
		return err
	}
	return pgtx.AwaitCommit(ctx)
}

type paymentsKey struct{}

// insert stores new payments in one statement: command.ErrPaymentExists when
// an order has one already (in a batch, the batch fails and its members
// run alone, where each finds its own outcome).
func insert(ctx context.Context, uow *pgtx.UnitOfWork, ps []*domain.Payment) error {
	orders, amounts := make([]string, len(ps)), make([]int64, len(ps))
	currencies, statuses, paymentIDs, refundIDs, reasons := make([]string, len(ps)), make([]string, len(ps)), make([]string, len(ps)), make([]string, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		orders[i], amounts[i], currencies[i], statuses[i] = p.OrderID(), p.Amount(), p.Currency(), string(p.Status())
		paymentIDs[i], refundIDs[i], reasons[i] = p.PaymentID(), p.RefundID(), p.Reason()
	}
	res, err := uow.ExecContext(ctx, `
		INSERT INTO payments (order_id, amount, currency, status, payment_id, refund_id, reason)
		SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
		ON CONFLICT (order_id) DO NOTHING`,
		pq.Array(orders), pq.Array(amounts), pq.Array(currencies), pq.Array(statuses), pq.Array(paymentIDs), pq.Array(refundIDs), pq.Array(reasons))
	if err != nil {
		return fmt.Errorf("store payment of order %s: %w", ps[0].OrderID(), err)
	}
	if n, err := res.RowsAffected(); err != nil || n < int64(len(ps)) {
		return errors.Join(fmt.Errorf("order %s: %w", ps[0].OrderID(), command.ErrPaymentExists), err)
	}
	return nil
}

// Get implements app.Repository.
func (r *Repository) Get(ctx context.Context, orderID string) (*domain.Payment, error) {
	return load(ctx, r.stmts, orderID, "")
}

// Update implements app.Repository.
func (r *Repository) Update(ctx context.Context, msg inbox.Key, orderID string, fn func(context.Context, *domain.Payment) error) error {
	return r.update(ctx, msg, orderID, true, fn)
}

// UpdateWithoutEvents implements app.Repository. In a batch it returns
// once the batch has committed (pgtx.AwaitCommit): its caller acts on the
// change outside the database, a charge's intent before the gateway's
// call.
func (r *Repository) UpdateWithoutEvents(ctx context.Context, msg inbox.Key, orderID string, fn func(context.Context, *domain.Payment) error) error {
	if err := r.update(ctx, msg, orderID, false, fn); err != nil {
		return err
	}
	return pgtx.AwaitCommit(ctx)
}

// update is Update, announcing the order's outbox shard first when
// publishing is allowed.
func (r *Repository) update(ctx context.Context, msg inbox.Key, orderID string, publishing bool, fn func(context.Context, *domain.Payment) error) error {
	announced := ""
	if publishing {
		announced = orderID
	}
	return r.inTx(ctx, msg, announced, func(uow *pgtx.UnitOfWork) error {
		updates := updatesOf(ctx, uow)
		p, err := updates.load(ctx, uow, orderID)
		if err != nil {
			return err
		}
		before := p.Status()
		if err := fn(ctx, p); err != nil {
			return err
		}
		if !publishing && len(p.Changes()) > 0 {
			return fmt.Errorf("payment of order %s recorded events in an update without events", orderID)
		}
		if p.Status() == before {
			return nil
		}
		if err := updates.save(ctx, uow, p); err != nil {
			return err
		}
		return r.publish(ctx, uow, p)
	})
}

// inTx runs fn in one unit of work that first announces it may publish
// the events of orderID (none when empty) and records msg, the consumed
// message fn is the effect of, in the payment service's inbox.
func (r *Repository) inTx(ctx context.Context, msg inbox.Key, orderID string, fn func(uow *pgtx.UnitOfWork) error) error {
	return r.stmts.Do(ctx, func(uow *pgtx.UnitOfWork) error {
		if orderID != "" {
			if err := r.outbox.Announce(ctx, uow, orderID); err != nil {
				return err
			}
		}
		if err := messagestore.RecordInbox(ctx, uow, messagestore.PaymentTables.Inbox, msg); err != nil {
			return err
		}
		return fn(uow)
	})
}

// publish writes the payment's new events to the outbox.
func (r *Repository) publish(ctx context.Context, uow *pgtx.UnitOfWork, p *domain.Payment) error {
	changes := p.Changes()
	if len(changes) == 0 {
		return nil
	}
	msgs, err := outboxMessages(ctx, p.OrderID(), changes)
	if err != nil {
		return err
	}
	return r.outbox.Publish(ctx, uow, r.eventsTopic, msgs...)
}

// load reads the order's payment; lock is empty or a locking clause.
func load(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, orderID, lock string) (*domain.Payment, error) {
	p, err := scanPayment(q.QueryRowContext(ctx, `
		SELECT order_id::text, amount, currency, status, payment_id, refund_id, reason FROM payments WHERE order_id = $1 `+lock, orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("order %s: %w", orderID, domain.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load payment of order %s: %w", orderID, err)
	}
	return p, nil
}

// scanPayment restores a payment from a row of its order ID and the
// payments table's columns, in their order.
func scanPayment(row interface{ Scan(dest ...any) error }) (*domain.Payment, error) {
	var (
		amount                                                 int64
		orderID, currency, status, paymentID, refundID, reason string
	)
	if err := row.Scan(&orderID, &amount, &currency, &status, &paymentID, &refundID, &reason); err != nil {
		return nil, err
	}
	return domain.Restore(orderID, amount, currency, domain.Status(status), paymentID, refundID, reason)
}
