package main

import (
	"context"
	"time"

	"github.com/orderflow/orders/adapters/postgres"
)

// runRebuild replays the event store into a fresh orders read model.
func runRebuild(ctx context.Context, r *root) error {
	start := time.Now()
	n, err := postgres.RebuildReadModels(ctx, r.db)
	if err != nil {
		return err
	}
	r.logger.InfoContext(ctx, "read models rebuilt", "orders", n, "duration", time.Since(start))
	return nil
}

// expireIdempotencyKeys deletes idempotency keys past their retention,
// now and then every interval, until ctx ends.
func expireIdempotencyKeys(ctx context.Context, r *root, interval time.Duration) {
	retention := r.cfg.HTTP.IdempotencyKeyRetention
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		n, err := postgres.DeleteExpiredIdempotencyKeys(ctx, r.db, retention)
		switch {
		case err != nil && ctx.Err() == nil:
			r.logger.WarnContext(ctx, "expiring idempotency keys failed", "err", err)
		case n > 0:
			r.logger.InfoContext(ctx, "idempotency keys expired", "deleted", n, "retention", retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
