package inventorystore

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	domain "github.com/orderflow/orders/domain/inventory"
)

// lockedStock is the stock rows a transaction locked, with their levels
// as loaded, so that only changed rows are written back. The members of a
// batch share one: a row locked by one is not read again by the next, and
// every changed row is written once, as the batch commits.
type lockedStock struct {
	items  domain.Stock
	loaded map[string][2]int64
	asked  map[string]bool // SKUs looked up, found or not
}

type stockKey struct{}

func newLockedStock() *lockedStock {
	return &lockedStock{items: domain.Stock{}, loaded: map[string][2]int64{}, asked: map[string]bool{}}
}

// stockOf is the transaction's locked stock: the batch's, or a new one.
func stockOf(ctx context.Context, uow *pgtx.UnitOfWork) *lockedStock {
	if !uow.Batched() {
		return newLockedStock()
	}
	return pgtx.Value(ctx, uow, stockKey{}, newLockedStock, func(ctx context.Context, s *lockedStock) error {
		return s.store(ctx, uow)
	})
}

// lock locks the stock rows of skus not locked yet, in SKU order: every
// transaction locks in the same order, so two reservations that share
// SKUs wait for each other instead of deadlocking (a batch's later member
// may lock a smaller SKU after a larger: the deadlock PostgreSQL then
// detects fails the batch, whose members run alone). It returns the items
// of skus; SKUs without a row are absent.
func (s *lockedStock) lock(ctx context.Context, uow *pgtx.UnitOfWork, skus []string) (domain.Stock, error) {
	var missing []string
	for _, sku := range skus {
		if !s.asked[sku] {
			missing = append(missing, sku)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		if err := s.load(ctx, uow, slices.Compact(missing)); err != nil {
			return nil, err
		}
	}
	items := domain.Stock{}
	for _, sku := range skus {
		if it, ok := s.items[sku]; ok {
			items[sku] = it
		}
	}
	return items, nil
}

func (s *lockedStock) load(ctx context.Context, uow *pgtx.UnitOfWork, skus []string) (err error) {
	rows, err := uow.QueryContext(ctx, `
		SELECT sku, on_hand, reserved FROM inventory_stock WHERE sku = ANY($1) ORDER BY sku FOR UPDATE`, pq.Array(skus))
	if err != nil {
		return fmt.Errorf("lock stock: %w", err)
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	for rows.Next() {
		var (
			sku              string
			onHand, reserved int64
		)
		if err := rows.Scan(&sku, &onHand, &reserved); err != nil {
			return fmt.Errorf("scan stock: %w", err)
		}
		it, err := domain.NewItem(sku, onHand, reserved)
		if err != nil {
			return fmt.Errorf("stored stock of %s: %w", sku, err)
		}
		s.items[sku] = it
		s.loaded[sku] = [2]int64{onHand, reserved}
	}
	for _, sku := range skus {
		s.asked[sku] = true
	}
	return rows.Err()
}

// keep takes back the items a unit of work changed (and any it added):
// written at once alone, as the batch commits in a batch.
func (s *lockedStock) keep(ctx context.Context, uow *pgtx.UnitOfWork, items domain.Stock) error {
	for sku, it := range items {
		s.items[sku] = it
	}
	if uow.Batched() {
		return nil
	}
	return s.store(ctx, uow)
}

// store writes back the rows whose levels changed, in one statement.
func (s *lockedStock) store(ctx context.Context, uow *pgtx.UnitOfWork) error {
	var (
		skus             []string
		onHand, reserved []int64
	)
	for sku, it := range s.items {
		if was, ok := s.loaded[sku]; ok && was == [2]int64{it.OnHand(), it.Reserved()} {
			continue
		}
		skus, onHand, reserved = append(skus, sku), append(onHand, it.OnHand()), append(reserved, it.Reserved())
	}
	if len(skus) == 0 {
		return nil
	}
	_, err := uow.ExecContext(ctx, `
		INSERT INTO inventory_stock (sku, on_hand, reserved, updated_at)
		SELECT sku, on_hand, reserved, now() FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS s(sku, on_hand, reserved)
		ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand, reserved = excluded.reserved, updated_at = now()`,
		pq.Array(skus), pq.Array(onHand), pq.Array(reserved))
	if err != nil {
		return fmt.Errorf("store stock of %v: %w", skus, err)
	}
	return nil
}
