package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/platform/progress"
)

// rebuildBatch is how many streams the rebuild folds per round trip.
const rebuildBatch = 500

// RebuildReadModels replaces the orders read model with one folded from the
// whole event store, in one transaction: readers see the old read model
// until it commits, and writers wait for it (the table is locked), so no
// event is missed. It returns the number of orders rebuilt, and reports
// its progress to the Reporter ctx carries (progress.From).
func RebuildReadModels(ctx context.Context, db *sql.DB) (int, error) {
	rebuilt, report := 0, progress.From(ctx)
	err := pgtx.Do(ctx, db, func(uow *pgtx.UnitOfWork) error {
		tx := uow.Tx
		// Writers append their events and update the read model in one
		// statement, which locks both tables as it starts; taking this
		// lock first makes every writer either finish before the rebuild
		// reads the store or wait until it commits.
		if _, err := tx.ExecContext(ctx, `LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("lock read model: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM orders`); err != nil {
			return fmt.Errorf("clear read model: %w", err)
		}
		if report != nil {
			var total int64
			if err := tx.QueryRowContext(ctx, `SELECT count(DISTINCT stream_id) FROM order_events`).Scan(&total); err != nil {
				return fmt.Errorf("count streams: %w", err)
			}
			report.Start(total)
		}
		after := "00000000-0000-0000-0000-000000000000"
		for {
			ids, err := streamIDsAfter(ctx, tx, after)
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				return nil
			}
			for _, id := range ids {
				o, err := loadOrder(ctx, tx, order.ID(id))
				if err != nil {
					return fmt.Errorf("rebuild order %s: %w", id, err)
				}
				if err := projectOrder(ctx, uow, o); err != nil {
					return err
				}
				rebuilt++
				report.Add(1)
			}
			after = ids[len(ids)-1]
		}
	})
	return rebuilt, err
}

func streamIDsAfter(ctx context.Context, tx *sql.Tx, after string) (_ []string, err error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT DISTINCT stream_id FROM order_events WHERE stream_id > $1 ORDER BY stream_id LIMIT $2`, after, rebuildBatch)
	if err != nil {
		return nil, fmt.Errorf("list streams: %w", err)
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
