package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/domain/order"
)

// lookUpIdempotencyKey takes the key's transaction-scoped advisory lock and
// returns the order stored under the key, if any. A lock held by another
// transaction means a request with the key is still running:
// ErrRequestInProgress, at once, rather than waiting for it. The lock ends
// with the transaction, also when its process dies.
func lookUpIdempotencyKey(ctx context.Context, uow *pgtx.UnitOfWork, key *command.IdempotencyKey) (order.ID, bool, error) {
	var locked bool
	if err := uow.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))`, key.Key).Scan(&locked); err != nil {
		return "", false, fmt.Errorf("lock idempotency key: %w", err)
	}
	if !locked {
		return "", false, command.ErrRequestInProgress
	}
	var fingerprint, orderID string
	err := uow.QueryRowContext(ctx, `SELECT fingerprint, order_id FROM idempotency_keys WHERE key = $1`, key.Key).Scan(&fingerprint, &orderID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("read idempotency key: %w", err)
	case fingerprint != key.Fingerprint:
		return "", false, command.ErrIdempotencyKeyReused
	default:
		return order.ID(orderID), true, nil
	}
}

func storeIdempotencyKey(ctx context.Context, uow *pgtx.UnitOfWork, key *command.IdempotencyKey, id order.ID) error {
	_, err := uow.ExecContext(ctx, `INSERT INTO idempotency_keys (key, fingerprint, order_id) VALUES ($1, $2, $3)`,
		key.Key, key.Fingerprint, string(id))
	if err != nil {
		return fmt.Errorf("store idempotency key: %w", err)
	}
	return nil
}

// DeleteExpiredIdempotencyKeys deletes keys older than retention; a client
// that retries later than that places a new order.
func DeleteExpiredIdempotencyKeys(ctx context.Context, db *sql.DB, retention time.Duration) (int64, error) {
	res, err := db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)`, retention.Seconds())
	if err != nil {
		return 0, fmt.Errorf("delete expired idempotency keys: %w", err)
	}
	return res.RowsAffected()
}
