package paymentstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	domain "github.com/orderflow/orders/domain/payment"
)

// updates are the payment updates of one transaction. Alone, a payment is
// read and written as it changes. In a batch, the first read locks and
// reads the payments of every member the batch knows of, in one statement;
// later members read them, as changed, from here; the changed ones are
// written in one statement as the batch commits (docs/saga.md, "Batches").
type updates struct {
	batched  bool
	payments map[string]*domain.Payment // read or changed; nil: the order has none
	orders   []string                   // changed, in the order of their first change
	changed  map[string]bool
}

type updatesKey struct{}

func updatesOf(ctx context.Context, uow *pgtx.UnitOfWork) *updates {
	if !uow.Batched() {
		return &updates{}
	}
	return pgtx.Value(ctx, uow, updatesKey{}, func() *updates {
		return &updates{batched: true, payments: map[string]*domain.Payment{}, changed: map[string]bool{}}
	}, func(ctx context.Context, u *updates) error { return u.write(ctx, uow) })
}

// load locks and reads the order's payment, as this transaction changed
// it.
func (u *updates) load(ctx context.Context, uow *pgtx.UnitOfWork, orderID string) (*domain.Payment, error) {
	if !u.batched {
		return load(ctx, uow, orderID, "FOR UPDATE")
	}
	if _, ok := u.payments[orderID]; !ok {
		if err := u.lockAll(ctx, uow, orderID); err != nil {
			return nil, err
		}
	}
	p := u.payments[orderID]
	if p == nil {
		return nil, fmt.Errorf("order %s: %w", orderID, domain.ErrNotFound)
	}
	return domain.Restore(orderID, p.Amount(), p.Currency(), p.Status(), p.PaymentID(), p.RefundID(), p.Reason())
}

// lockAll locks and reads the payments of orderID and of the batch's other
// members not read yet, in the order of their IDs, so that two batches
// lock their common rows in the same order.
func (u *updates) lockAll(ctx context.Context, uow *pgtx.UnitOfWork, orderID string) (err error) {
	ids := []string{orderID}
	for _, key := range uow.PartitionKeys() {
		if _, ok := u.payments[key]; !ok && key != orderID && uuid.Validate(key) == nil {
			ids = append(ids, key)
		}
	}
	rows, err := uow.QueryContext(ctx, `
		SELECT k.id, p.amount, p.currency, p.status, p.payment_id, p.refund_id, p.reason
		FROM unnest($1::text[]) AS k(id) JOIN payments p ON p.order_id = k.id::uuid
		ORDER BY p.order_id FOR UPDATE OF p`, pq.Array(ids))
	if err != nil {
		return fmt.Errorf("lock the payments of %d orders: %w", len(ids), err)
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	for _, id := range ids {
		u.payments[id] = nil
	}
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return fmt.Errorf("lock the payments of %d orders: %w", len(ids), err)
		}
		u.payments[p.OrderID()] = p
	}
	return rows.Err()
}

// save writes p's new state, or keeps it for the batch's write.
func (u *updates) save(ctx context.Context, uow *pgtx.UnitOfWork, p *domain.Payment) error {
	if !u.batched {
		_, err := uow.ExecContext(ctx, `
			UPDATE payments SET status = $2, payment_id = $3, refund_id = $4, reason = $5, updated_at = now()
			WHERE order_id = $1`, p.OrderID(), string(p.Status()), p.PaymentID(), p.RefundID(), p.Reason())
		if err != nil {
			return fmt.Errorf("update payment of order %s: %w", p.OrderID(), err)
		}
		return nil
	}
	if !u.changed[p.OrderID()] {
		u.changed[p.OrderID()] = true
		u.orders = append(u.orders, p.OrderID())
	}
	u.payments[p.OrderID()] = p
	return nil
}

// write stores the batch's changed payments in one statement; their rows
// are locked already (load).
func (u *updates) write(ctx context.Context, uow *pgtx.UnitOfWork) error {
	if len(u.orders) == 0 {
		return nil
	}
	n := len(u.orders)
	statuses, paymentIDs, refundIDs, reasons := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, id := range u.orders {
		p := u.payments[id]
		statuses[i], paymentIDs[i], refundIDs[i], reasons[i] = string(p.Status()), p.PaymentID(), p.RefundID(), p.Reason()
	}
	res, err := uow.ExecContext(ctx, `
		UPDATE payments AS p SET status = u.status, payment_id = u.payment_id, refund_id = u.refund_id,
			reason = u.reason, updated_at = now()
		FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(order_id, status, payment_id, refund_id, reason)
		WHERE p.order_id = u.order_id`,
		pq.Array(u.orders), pq.Array(statuses), pq.Array(paymentIDs), pq.Array(refundIDs), pq.Array(reasons))
	if err != nil {
		return fmt.Errorf("update the payments of %d orders: %w", n, err)
	}
	got, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update the payments of %d orders: %w", n, err)
	}
	if got != int64(n) {
		return fmt.Errorf("updated %d of %d payments", got, n)
	}
	return nil
}
