package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/internal/shard"
	"github.com/orderflow/orders/platform/progress"
)

// ChangeShards changes the number of shards of an outbox, safely: in one
// transaction it locks the current shards against writers, checks that
// every consumer group has forwarded every message (otherwise it refuses:
// messages of one order could be forwarded out of order), creates the new
// shards with each group at their start, records the new count and drops
// the old shards. Writers and forwards still running with the old count
// then fail on the missing tables; started again, they use the new count
// (OUTBOX_SHARDS unset) or refuse to start until their OUTBOX_SHARDS is
// it. It reports the old shards checked and the new ones created to the
// Reporter ctx carries (progress.From).
func ChangeShards(ctx context.Context, db *sql.DB, name string, shards int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()

	var current int
	if err := tx.QueryRowContext(ctx, `SELECT shards FROM outbox_layouts WHERE name = $1 FOR UPDATE`, name).Scan(&current); err != nil {
		return fmt.Errorf("outbox %s: %w", name, err)
	}
	old, next := outbox.Config{Name: name, Shards: current}, outbox.Config{Name: name, Shards: shards}
	if err := next.Validate(); err != nil {
		return err
	}
	if current == shards {
		return fmt.Errorf("outbox %s already has %d shards", name, shards)
	}
	report := progress.From(ctx)
	report.Start(int64(current + shards))
	groups := map[string]bool{}
	for _, topic := range old.SQLTopics() {
		if _, err := tx.ExecContext(ctx, `LOCK TABLE `+shard.MessagesTable(topic)+` IN EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("lock %s: %w", topic, err)
		}
		var rows, undelivered int
		err := tx.QueryRowContext(ctx, `
			SELECT (SELECT count(*) FROM `+shard.MessagesTable(topic)+`),
				(SELECT count(*) FROM `+shard.MessagesTable(topic)+` m, `+shard.OffsetsTable(topic)+` o
				 WHERE (m.transaction_id, m."offset") > (o.last_processed_transaction_id, o.offset_acked))`).
			Scan(&rows, &undelivered)
		if err != nil {
			return fmt.Errorf("check %s: %w", topic, err)
		}
		topicGroups, err := consumerGroups(ctx, tx, topic)
		if err != nil {
			return err
		}
		if undelivered > 0 || (rows > 0 && len(topicGroups) == 0) {
			return fmt.Errorf("outbox %s is not drained: %s still has messages to forward; stop the writers, let the forwarder drain it, and try again", name, topic)
		}
		for _, g := range topicGroups {
			groups[g] = true
		}
		report.Add(1)
	}
	if err := checkNoneHeld(ctx, tx, name); err != nil {
		return err
	}
	groupList := make([]string, 0, len(groups))
	for g := range groups {
		groupList = append(groupList, g)
	}
	if err := dropShards(ctx, tx, old); err != nil {
		return err
	}
	if err := createShards(ctx, tx, next, groupList); err != nil {
		return err
	}
	report.Add(int64(shards))
	if _, err := tx.ExecContext(ctx, `UPDATE outbox_layouts SET shards = $2, changed_at = now() WHERE name = $1`, name, shards); err != nil {
		return err
	}
	return tx.Commit()
}

// checkNoneHeld refuses while an order of the outbox is held: it is held
// by its shard's letters, and in another layout its events would go to
// another shard and no longer wait. It locks the dead letters against
// writers first, so that a forwarder dead-lettering at this moment commits
// before the count, or after the reshard (then on the new shards).
func checkNoneHeld(ctx context.Context, tx *sql.Tx, name string) error {
	if _, err := tx.ExecContext(ctx, `LOCK TABLE outbox_dead_letters IN SHARE MODE`); err != nil {
		return fmt.Errorf("lock the dead letters: %w", err)
	}
	var held int
	if err := tx.QueryRowContext(ctx, `SELECT count(DISTINCT partition_key) FROM outbox_dead_letters
		WHERE outbox = $1 AND status IN ('dead', 'held') AND partition_key IS NOT NULL`, name).Scan(&held); err != nil {
		return fmt.Errorf("held orders of outbox %s: %w", name, err)
	}
	if held > 0 {
		return fmt.Errorf("outbox %s has %d held order(s): replay or skip them first (`orders outbox dead-letters list`)", name, held)
	}
	return nil
}

func consumerGroups(ctx context.Context, q execer, topic string) (_ []string, err error) {
	rows, err := q.QueryContext(ctx, `SELECT consumer_group FROM `+shard.OffsetsTable(topic)+` ORDER BY consumer_group`)
	if err != nil {
		return nil, fmt.Errorf("consumer groups of %s: %w", topic, err)
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	var groups []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, err
		}
		groups = append(groups, g)
	}
	return groups, rows.Err()
}
