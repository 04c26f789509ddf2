package main

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/orderflow/orders/adapters/postgres"
)

// runRebuild replays the event store into a fresh orders read model.
func runRebuild(ctx context.Context, cfg config) error {
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	start := time.Now()
	n, err := postgres.RebuildReadModels(ctx, db)
	if err != nil {
		return err
	}
	slog.InfoContext(ctx, "read models rebuilt", "orders", n, "duration", time.Since(start))
	return nil
}

// expireIdempotencyKeys deletes idempotency keys past their retention,
// now and then every interval, until ctx ends.
func expireIdempotencyKeys(ctx context.Context, db *sql.DB, retention, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		n, err := postgres.DeleteExpiredIdempotencyKeys(ctx, db, retention)
		switch {
		case err != nil && ctx.Err() == nil:
			slog.WarnContext(ctx, "expiring idempotency keys failed", "err", err)
		case n > 0:
			slog.InfoContext(ctx, "idempotency keys expired", "deleted", n, "retention", retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
