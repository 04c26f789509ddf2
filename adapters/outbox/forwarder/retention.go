package forwarder

import (
	"context"
	"time"

	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/adapters/outbox/internal/shard"
)

// runRetention deletes forwarded rows (admin.DeleteForwarded) every
// interval until ctx ends; only the instance that holds the outbox's
// retention lock does, so forwarder instances do not delete at once.
func (f *Forwarder) runRetention(ctx context.Context) {
	ticker := time.NewTicker(f.cfg.RetentionInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if err := f.retentionOnce(ctx); err != nil && ctx.Err() == nil {
			f.logger.Error("Outbox retention failed", err, nil)
		}
	}
}

func (f *Forwarder) retentionOnce(ctx context.Context) error {
	conn, err := f.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	var locked bool
	key := shard.LockKey("retention", f.cfg.Outbox.Name)
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&locked); err != nil || !locked {
		return err
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key) }()
	n, err := admin.DeleteForwarded(ctx, f.db, f.cfg.Outbox, f.cfg.Retention)
	if n > 0 {
		f.logger.Debug("Outbox retention deleted forwarded rows", map[string]any{"rows": n})
	}
	return err
}
