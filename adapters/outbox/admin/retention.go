package admin

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/internal/shard"
)

// retentionBatch is how many rows one DELETE examines.
const retentionBatch = 1000

// DeleteForwarded deletes, from every shard of the outbox, the rows that
// every consumer group has forwarded and that are older than maxAge, in
// batches of retentionBatch rows, and returns how many it deleted. Each
// batch examines the oldest rows behind the position and stops at the first
// one still too young, so a run costs little when there is nothing to
// delete. The forwarder runs it periodically (forwarder.Config.Retention).
func DeleteForwarded(ctx context.Context, db *sql.DB, cfg outbox.Config, maxAge time.Duration) (int64, error) {
	cfg, err := cfg.WithDefaults()
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
			SELECT m.ctid, m.created_at FROM ` + shard.MessagesTable(topic) + ` m
			WHERE (m.transaction_id, m."offset") <= (
				SELECT last_processed_transaction_id, offset_acked FROM ` + shard.OffsetsTable(topic) + `
				ORDER BY last_processed_transaction_id, offset_acked LIMIT 1)
			ORDER BY m.transaction_id, m."offset"
			LIMIT ` + strconv.Itoa(retentionBatch) + `
		), old AS (
			SELECT ctid FROM behind WHERE created_at < now() - make_interval(secs => $1)
		)
		DELETE FROM ` + shard.MessagesTable(topic) + ` WHERE ctid IN (SELECT ctid FROM old)`
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
