package admin

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/internal/shard"
	"github.com/orderflow/orders/platform/progress"
)

// Repair mends every stalled shard of the outbox for consumerGroup, each
// in a transaction that holds the shard against forwarders and writers,
// and returns what it did:
//
//   - a missing position is created at the start of the shard: every
//     retained message is forwarded again (duplicates, nothing lost);
//   - an impossible one (rows or position ahead of the transaction IDs, as
//     after restoring a logical dump into a new cluster) is rebased: the
//     shard's rows are renumbered under a transaction ID below any new one,
//     the restored ones in their order and then those written since the
//     restore in theirs, and the position is moved to the last restored row
//     it had passed: what was forwarded before the restore stays forwarded,
//     everything written since is forwarded (see rebase).
//
// It reports the shards done to the Reporter ctx carries (progress.From).
func Repair(ctx context.Context, db *sql.DB, cfg outbox.Config, consumerGroup string) ([]string, error) {
	shards, err := RecordedShards(ctx, db, cfg.Name)
	if err != nil {
		return nil, err
	}
	cfg.Shards = shards
	report := progress.From(ctx)
	report.Start(int64(shards))
	var done []string
	for _, topic := range cfg.SQLTopics() {
		action, err := repairShard(ctx, db, topic, consumerGroup)
		if err != nil {
			return done, fmt.Errorf("repair %s: %w", topic, err)
		}
		report.Add(1)
		if action != "" {
			done = append(done, topic+": "+action)
		}
	}
	return done, nil
}

func repairShard(ctx context.Context, db *sql.DB, topic, consumerGroup string) (string, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer func() { _ = tx.Rollback() }()
	if err := shard.Lock(ctx, tx, topic, consumerGroup); err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `LOCK TABLE `+shard.MessagesTable(topic)+` IN EXCLUSIVE MODE`); err != nil {
		return "", err
	}
	state, err := shard.ReadState(ctx, tx, topic, consumerGroup)
	if err != nil {
		return "", err
	}
	var action string
	switch {
	case state.Missing:
		_, err = tx.ExecContext(ctx, `INSERT INTO `+shard.OffsetsTable(topic)+
			` (consumer_group, offset_acked, last_processed_transaction_id) VALUES ($1, 0, '0')`, consumerGroup)
		action = "position created at the start: retained messages are forwarded again"
	case state.Impossible:
		var delivered int64
		delivered, err = rebase(ctx, tx, topic, consumerGroup)
		action = fmt.Sprintf("rows rebased below the current transaction IDs; %d already forwarded stay behind the position", delivered)
	default:
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return action, tx.Commit()
}

// rebase renumbers the rows of a shard whose position or rows are ahead
// of the transaction IDs (tx ID 1, offsets 1..n) and moves the group's
// position to the last of them it had forwarded.
//
// After a logical restore the shard holds two kinds of row, told apart by
// the row's own xmin:
//
//   - restored rows came in through the restore (COPY), in a transaction of
//     their own: their xmin is not the transaction_id they carry, which is
//     the old cluster's. The position is in the old cluster's terms too, so
//     the restored rows at or before it were forwarded, the rest were not.
//   - rows written since by the new cluster's own transactions: xmin is
//     the low 32 bits of their transaction_id (both from
//     pg_current_xact_id()). Their IDs are lower than the old ones and mean
//     nothing beside them, so none of them counts as forwarded, whatever
//     the position says; some may be sent twice (at least once).
//
// The new order is every restored row in its old (transaction ID, offset)
// order, then every new row in its own: an order's events before the
// restore are restored rows, those after are new rows, so each order keeps
// its versions in order. A restored row whose old ID happens to equal its
// xmin's is still told apart by its offset: the restore carries the offset
// sequence over, so every new row's offset is above every restored row's.
func rebase(ctx context.Context, tx *sql.Tx, topic, consumerGroup string) (int64, error) {
	table := shard.MessagesTable(topic)
	const ownXmin = `(transaction_id::text::numeric % 4294967296) = xmin::text::numeric`
	newRow := ownXmin + ` AND "offset" > (SELECT COALESCE(max("offset"), 0) FROM ` + table + ` WHERE NOT (` + ownXmin + `))`
	var delivered int64
	err := tx.QueryRowContext(ctx, `
		SELECT count(*)
		FROM (SELECT transaction_id, "offset", NOT (`+newRow+`) AS restored FROM `+table+`) m,
			`+shard.OffsetsTable(topic)+` o
		WHERE o.consumer_group = $1 AND m.restored
			AND (m.transaction_id, m."offset") <= (o.last_processed_transaction_id, o.offset_acked)`,
		consumerGroup).Scan(&delivered)
	if err != nil {
		return 0, err
	}
	err = execAll(ctx, tx,
		`UPDATE `+table+` m SET transaction_id = '1', "offset" = -r.n
		FROM (SELECT transaction_id, "offset",
				row_number() OVER (ORDER BY (`+newRow+`), transaction_id, "offset") AS n
		      FROM `+table+`) r
		WHERE (m.transaction_id, m."offset") = (r.transaction_id, r."offset")`,
		`UPDATE `+table+` SET "offset" = -"offset"`)
	if err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE `+shard.OffsetsTable(topic)+
		` SET last_processed_transaction_id = '1', offset_acked = $2 WHERE consumer_group = $1`, consumerGroup, delivered)
	return delivered, err
}
