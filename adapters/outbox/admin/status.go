package admin

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/internal/shard"
)

// ShardStatus is the state of one shard for one consumer group.
type ShardStatus struct {
	SQLTopic string
	// Position is (transaction ID, offset) of the last forwarded row, ""
	// when missing.
	Position string
	// Backlog counts the rows after the position; OldestAge is the age of
	// the first of them.
	Backlog   int64
	OldestAge time.Duration
	// Problem is "ok", "messages waiting", or what stalls the shard.
	Problem string
	Stalled bool
}

// Status reports every shard of the outbox for consumerGroup.
func Status(ctx context.Context, db *sql.DB, cfg outbox.Config, consumerGroup string) ([]ShardStatus, error) {
	shards, err := recordedShards(ctx, db, cfg.Name)
	if err != nil {
		return nil, err
	}
	cfg.Shards = shards
	statuses := make([]ShardStatus, 0, shards)
	for _, topic := range cfg.SQLTopics() {
		state, err := shard.ReadState(ctx, db, topic, consumerGroup)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", topic, err)
		}
		st := ShardStatus{SQLTopic: topic, Problem: state.Problem(), Stalled: state.Stalled()}
		backlog, err := readBacklog(ctx, db, topic, consumerGroup)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", topic, err)
		}
		st.Position, st.Backlog, st.OldestAge = backlog.position, backlog.count, backlog.oldestAge
		statuses = append(statuses, st)
	}
	return statuses, nil
}

type backlog struct {
	position  string
	count     int64
	oldestAge time.Duration
}

// readBacklog counts the rows after the group's position: with a missing
// position, every row.
func readBacklog(ctx context.Context, q shard.QueryRower, topic, consumerGroup string) (backlog, error) {
	var (
		b        backlog
		position sql.NullString
		ageSecs  sql.NullFloat64
	)
	err := q.QueryRowContext(ctx, `
		SELECT '(' || o.last_processed_transaction_id || ', ' || o.offset_acked || ')',
			count(m.*), EXTRACT(EPOCH FROM now() - min(m.created_at))
		FROM (SELECT 1) AS one
		LEFT JOIN `+shard.OffsetsTable(topic)+` o ON o.consumer_group = $1
		LEFT JOIN `+shard.MessagesTable(topic)+` m
			ON o.consumer_group IS NULL
			OR (m.transaction_id, m."offset") > (o.last_processed_transaction_id, o.offset_acked)
		GROUP BY o.last_processed_transaction_id, o.offset_acked`, consumerGroup).
		Scan(&position, &b.count, &ageSecs)
	if err != nil {
		return backlog{}, err
	}
	b.position = position.String
	if ageSecs.Valid && ageSecs.Float64 > 0 {
		b.oldestAge = time.Duration(ageSecs.Float64 * float64(time.Second))
	}
	return b, nil
}
