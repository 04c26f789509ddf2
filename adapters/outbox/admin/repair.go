package admin

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/internal/shard"
)

// Repair mends every stalled shard of the outbox for consumerGroup, each
// in a transaction that holds the shard against forwarders and writers,
// and returns what it did:
//
//   - a missing position is created at the start of the shard: every
//     retained message is forwarded again (duplicates, nothing lost);
//   - an impossible one (rows or position ahead of the transaction IDs, as
//     after restoring a logical dump into a new cluster) is rebased: the
//     shard's rows are renumbered, in their order, under a transaction ID
//     below any new one, and the position is moved to the same place among
//     them, so that what was forwarded stays forwarded and the rest follows
//     in order.
func Repair(ctx context.Context, db *sql.DB, cfg outbox.Config, consumerGroup string) ([]string, error) {
	shards, err := recordedShards(ctx, db, cfg.Name)
	if err != nil {
		return nil, err
	}
	cfg.Shards = shards
	var done []string
	for _, topic := range cfg.SQLTopics() {
		action, err := repairShard(ctx, db, topic, consumerGroup)
		if err != nil {
			return done, fmt.Errorf("repair %s: %w", topic, err)
		}
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

// rebase renumbers the rows of a shard (tx ID 1, offsets 1..n in their
// current order) and moves the group's position to the last row it had
// passed.
func rebase(ctx context.Context, tx *sql.Tx, topic, consumerGroup string) (int64, error) {
	var delivered int64
	err := tx.QueryRowContext(ctx, `
		SELECT count(*) FROM `+shard.MessagesTable(topic)+` m, `+shard.OffsetsTable(topic)+` o
		WHERE o.consumer_group = $1 AND (m.transaction_id, m."offset") <= (o.last_processed_transaction_id, o.offset_acked)`,
		consumerGroup).Scan(&delivered)
	if err != nil {
		return 0, err
	}
	err = execAll(ctx, tx,
		`UPDATE `+shard.MessagesTable(topic)+` m SET transaction_id = '1', "offset" = -r.n
		FROM (SELECT transaction_id, "offset", row_number() OVER (ORDER BY transaction_id, "offset") AS n
		      FROM `+shard.MessagesTable(topic)+`) r
		WHERE (m.transaction_id, m."offset") = (r.transaction_id, r."offset")`,
		`UPDATE `+shard.MessagesTable(topic)+` SET "offset" = -"offset"`)
	if err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE `+shard.OffsetsTable(topic)+
		` SET last_processed_transaction_id = '1', offset_acked = $2 WHERE consumer_group = $1`, consumerGroup, delivered)
	return delivered, err
}
