package outbox

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// retentionBatch is how many rows one DELETE examines.
const retentionBatch = 1000

// DeleteForwarded deletes, from every shard of the outbox, the rows that
// every consumer group has forwarded and that are older than maxAge, in
// batches of retentionBatch rows, and returns how many it deleted. Each
// batch examines the oldest rows behind the position and stops at the first
// one still too young, so a run costs little when there is nothing to
// delete. One forwarder instance does it at a time (an advisory lock).
func DeleteForwarded(ctx context.Context, db *sql.DB, cfg Config, maxAge time.Duration) (int64, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return 0, err
	}
	var total int64
	for _, topic := range cfg.SQLTopics() {
		n, err := deleteForwardedIn(ctx, db, topic, maxAge)
		total += n
		if err != nil {
			return total, fmt.Errorf("retention of %s: %w", topic, err)
		}
	}
	return total, nil
}

func deleteForwardedIn(ctx context.Context, db *sql.DB, topic string, maxAge time.Duration) (int64, error) {
	// The position behind which every group is: the smallest of theirs.
	query := `
		WITH behind AS (
			SELECT m.ctid, m.created_at FROM ` + MessagesTable(topic) + ` m
			WHERE (m.transaction_id, m."offset") <= (
				SELECT last_processed_transaction_id, offset_acked FROM ` + OffsetsTable(topic) + `
				ORDER BY last_processed_transaction_id, offset_acked LIMIT 1)
			ORDER BY m.transaction_id, m."offset"
			LIMIT ` + strconv.Itoa(retentionBatch) + `
		), old AS (
			SELECT ctid FROM behind WHERE created_at < now() - make_interval(secs => $1)
		)
		DELETE FROM ` + MessagesTable(topic) + ` WHERE ctid IN (SELECT ctid FROM old)`
	var total int64
	for {
		res, err := db.ExecContext(ctx, query, maxAge.Seconds())
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += n
		if n < retentionBatch {
			return total, nil
		}
	}
}

// retentionLockKey keeps forwarder instances from deleting at once.
func retentionLockKey(outbox string) int64 { return lockKey("retention", outbox) }

// runRetention deletes forwarded rows every interval until ctx ends; only
// the instance that holds the outbox's retention lock does.
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
	key := retentionLockKey(f.cfg.Outbox.Name)
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&locked); err != nil || !locked {
		return err
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key) }()
	n, err := DeleteForwarded(ctx, f.db, f.cfg.Outbox, f.cfg.Retention)
	if n > 0 {
		f.logger.Debug("Outbox retention deleted forwarded rows", map[string]any{"rows": n})
	}
	return err
}
