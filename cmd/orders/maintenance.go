package main

import (
	"context"
	"time"

	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/platform/progress"
)

// runRebuild replays the event store into a fresh orders read model.
func runRebuild(ctx context.Context, r *resources) error {
	start := time.Now()
	var n int
	err := withProgress(ctx, r, "rebuild-read-models", "orders", func(ctx context.Context) (err error) {
		n, err = postgres.RebuildReadModels(ctx, r.db)
		return err
	})
	if err != nil {
		return err
	}
	r.logger.InfoContext(ctx, "read models rebuilt", "orders", n, "duration", time.Since(start))
	return nil
}

// withProgress runs long admin work with a progress reporter in its
// context: a line redrawn on stderr when it is a terminal, INFO lines
// every few seconds otherwise.
func withProgress(ctx context.Context, r *resources, task, unit string, work func(context.Context) error) error {
	report := progress.ForStderr(task, unit, r.logger)
	err := work(progress.NewContext(ctx, report))
	if err != nil {
		report.Stop()
	} else {
		report.Finish()
	}
	return err
}

// expireIdempotencyKeys deletes idempotency keys past their retention,
// now and then every interval, until ctx ends.
func expireIdempotencyKeys(ctx context.Context, r *resources, interval time.Duration) {
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
