package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/orderflow/orders/adapters/outbox"
)

// retainForwarded fills the bench outbox's shards with n rows in all that
// count as forwarded already (the position is after them), as
// OUTBOX_RETENTION keeps a week of them in production, then vacuums and
// analyses the tables as autovacuum would have. The forwarder's cost per cycle
// must not grow with them.
func retainForwarded(ctx context.Context, db *sql.DB, n int) error {
	cfg, err := outboxConfig().WithDefaults()
	if err != nil {
		return err
	}
	perShard := n / cfg.Shards
	for _, topic := range cfg.SQLTopics() {
		if err := retainInShard(ctx, db, topic, perShard); err != nil {
			return fmt.Errorf("retain %d rows in %s: %w", perShard, topic, err)
		}
		if _, err := db.ExecContext(ctx, `VACUUM ANALYZE "watermill_`+topic+`"`); err != nil {
			return err
		}
	}
	return nil
}

// retainInShard writes n rows in one transaction and moves the forwarder's
// position to the last of them.
func retainInShard(ctx context.Context, db *sql.DB, topic string, n int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `INSERT INTO "watermill_`+topic+`" (uuid, payload, metadata, transaction_id)
		SELECT gen_random_uuid()::text, '\x00'::bytea, '{}'::json, pg_current_xact_id() FROM generate_series(1, $1)`, n); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO "watermill_offsets_`+topic+`" (consumer_group, offset_acked, last_processed_transaction_id)
		SELECT $1, max("offset"), pg_current_xact_id() FROM "watermill_`+topic+`"
		ON CONFLICT (consumer_group) DO UPDATE SET offset_acked = EXCLUDED.offset_acked,
			last_processed_transaction_id = EXCLUDED.last_processed_transaction_id`, outbox.DefaultConsumerGroup); err != nil {
		return err
	}
	return tx.Commit()
}

// retainedCost runs the idle and the 10 orders/s measurements on an empty
// outbox and on one that retains n forwarded rows, one after the other.
func retainedCost(ctx context.Context, n int, latencyRun time.Duration) error {
	defer func() { opts.retained = 0 }()
	for _, retained := range []int{0, n} {
		opts.retained = retained
		fmt.Printf("-- %d forwarded rows retained --\n", retained)
		if err := idleCPU(ctx, 20*time.Second); err != nil {
			return err
		}
		if err := latency(ctx, 10, latencyRun); err != nil {
			return err
		}
	}
	return nil
}
