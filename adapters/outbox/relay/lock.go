package relay

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"

	"github.com/orderflow/orders/adapters/outbox/internal/shard"
)

// errShardBusy is returned, instead of a transaction, when another
// forwarder of the same consumer group holds the SQL topic.
var errShardBusy = errors.New("another forwarder holds this outbox shard")

// lockingBeginner is the database handle given to watermill-sql's
// subscriber: every transaction it begins first takes the topic's advisory
// lock, without waiting, so consumers of one group take turns (each row is
// forwarded by one of them) and the select that follows, in its own READ
// COMMITTED snapshot, sees the previous holder's committed position. When
// the lock is held elsewhere BeginTx fails with errShardBusy, which the
// backoff manager turns into a wait. The same statement stores the shard's
// read barrier for the select (schemaAdapter). An advisory lock, unlike a row lock,
// gives the transaction no transaction ID; the lock goes with the
// transaction, also when the process dies.
type lockingBeginner struct {
	*sql.DB
	lock string
}

var _ watermillsql.Beginner = lockingBeginner{}

func newLockingBeginner(db *sql.DB, topic, consumerGroup string) lockingBeginner {
	// The barrier is computed in this statement, once the turn is ours:
	// the select that follows takes its snapshot after it, as the
	// barrier's argument requires (shard.BarrierQuery), at no extra round
	// trip.
	return lockingBeginner{DB: db, lock: fmt.Sprintf(
		"SELECT CASE WHEN pg_try_advisory_xact_lock(%d) THEN %s IS NOT NULL ELSE false END",
		shard.LockKey(topic, consumerGroup), shard.BarrierQuery(topic))}
}

func (b lockingBeginner) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	tx, err := b.DB.BeginTx(ctx, opts)
	if err != nil || opts == nil {
		// Only the subscriber's queries ask for an isolation level; its
		// one-off set-up transaction (creating a missing position) needs
		// no turn. watermill-sql v3.1.0 documents neither; pinned by
		// watermillsql_test.go.
		return tx, err
	}
	var locked bool
	if err := tx.QueryRowContext(ctx, b.lock).Scan(&locked); err != nil {
		_ = tx.Rollback()
		return nil, fmt.Errorf("take outbox shard lock: %w", err)
	}
	if !locked {
		_ = tx.Rollback()
		return nil, errShardBusy
	}
	return tx, nil
}
