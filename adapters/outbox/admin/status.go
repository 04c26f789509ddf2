package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
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
	// BlockedBy is the session that blocks the shard's backlog, when
	// one has for over heldBackAfter: its oldest open writer, or the
	// session that writer waits for. nil otherwise.
	BlockedBy *Blocker
}

// Blocker is a session that blocks a shard (the PID to end with
// pg_terminate_backend, its state, query and transaction's age).
type Blocker = shard.Blocker

// heldBackAfter is how long a writer of the shard must have been open for
// Status to name it: the service's writers take milliseconds, so one open
// this long is stuck or waits for someone who is.
const heldBackAfter = time.Second

// Status reports every shard of the outbox for consumerGroup.
func Status(ctx context.Context, db *sql.DB, cfg outbox.Config, consumerGroup string) ([]ShardStatus, error) {
	shards, err := RecordedShards(ctx, db, cfg.Name)
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
		if st.Backlog > 0 {
			b, ok, err := shard.ReadBlocker(ctx, db, topic)
			if err != nil {
				return nil, err
			}
			if ok && b.XactAge >= heldBackAfter {
				st.BlockedBy = &b
			}
		}
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
	// The position first, then the rows after it, given as parameters: the
	// planner then walks the primary key from the position, so the cost
	// follows the backlog, not the rows already forwarded and retained.
	var (
		b        backlog
		txID     string
		offset   int64
		ageSecs  sql.NullFloat64
		position = `SELECT last_processed_transaction_id::text, offset_acked FROM ` + shard.OffsetsTable(topic) + ` WHERE consumer_group = $1`
		after    = `SELECT count(*), EXTRACT(EPOCH FROM now() - min(created_at)) FROM ` + shard.MessagesTable(topic)
	)
	err := q.QueryRowContext(ctx, position, consumerGroup).Scan(&txID, &offset)
	switch {
	case errors.Is(err, sql.ErrNoRows): // no position: every row waits
		err = q.QueryRowContext(ctx, after).Scan(&b.count, &ageSecs)
	case err == nil:
		b.position = "(" + txID + ", " + strconv.FormatInt(offset, 10) + ")"
		err = q.QueryRowContext(ctx, after+` WHERE (transaction_id, "offset") > ($1::xid8, $2)`, txID, offset).Scan(&b.count, &ageSecs)
	}
	if err != nil {
		return backlog{}, err
	}
	if ageSecs.Valid && ageSecs.Float64 > 0 {
		b.oldestAge = time.Duration(ageSecs.Float64 * float64(time.Second))
	}
	return b, nil
}
