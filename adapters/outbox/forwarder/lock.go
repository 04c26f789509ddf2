package forwarder

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/outbox/internal/shard"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
)

// errShardBusy is returned, instead of a transaction, when another
// forwarder of the same consumer group holds the SQL topic.
var errShardBusy = errors.New("another forwarder holds this outbox shard")

// lockingBeginner is the database handle given to watermill-sql's
// subscriber: every transaction it begins first takes the shard's lease, a
// transaction-level advisory lock, without waiting (errShardBusy when held
// elsewhere). The same statement stores the shard's read barrier, bounds
// the session of a frozen or cut-off forwarder, turns the pool's lock_timeout
// (DATABASE_LOCK_TIMEOUT) off, turns sequential scans off,
// and checks that the position can be recorded; the select that follows
// reads the shard's held orders too (heldOrdersColumn). It runs prepared
// (stmts): as a simple query the server parsed and planned it in every
// cycle, and planning it cost more than running it. Why each: docs/forwarder.md, "Shape" (Leases,
// A frozen or cut-off forwarder), "Writers and the barrier", "Dead
// letters", "Guarantees".
type lockingBeginner struct {
	*sql.DB
	stmts   *pgtx.Statements
	lock    string
	offsets string
	lease   *lease
	holds   *holds
}

// errCannotRecordPosition: the forwarder's transaction may not write its
// position; it sends nothing until it may.
var errCannotRecordPosition = errors.New("the forwarder cannot record its position (a read-only transaction: a standby, default_transaction_read_only; or no UPDATE privilege): it sends nothing until it can")

var _ watermillsql.Beginner = lockingBeginner{}

func newLockingBeginner(db *sql.DB, stmts *pgtx.Statements, topic, consumerGroup string, t *lease, h *holds) lockingBeginner {
	// The barrier is computed in this statement, once the lease is ours:
	// the select that follows takes its snapshot after it, as the
	// barrier's argument requires (shard.BarrierQuery), at no extra round
	// trip.
	ms := t.timeout.Milliseconds()
	return lockingBeginner{DB: db, stmts: stmts, lease: t, holds: h, offsets: shard.OffsetsTable(topic), lock: fmt.Sprintf(`SELECT CASE WHEN pg_try_advisory_xact_lock(%d) THEN %s IS NOT NULL ELSE false END,
			current_setting('transaction_read_only') = 'off' AND has_table_privilege(%s, 'UPDATE')
		FROM (SELECT set_config('idle_in_transaction_session_timeout', '%d', true),
			set_config('statement_timeout', '%d', true),
			set_config('tcp_user_timeout', '%d', true),
			set_config('enable_seqscan', 'off', true),
			set_config('lock_timeout', '0', true)) AS session`,
		shard.LockKey(topic, consumerGroup), shard.BarrierQuery(topic, consumerGroup), pq.QuoteLiteral(shard.OffsetsTable(topic)), ms, ms, ms)}
}

func (b lockingBeginner) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	tx, err := b.DB.BeginTx(ctx, opts)
	if err != nil || opts == nil {
		// Only the subscriber's queries ask for an isolation level; its
		// one-off set-up transaction (creating a missing position) needs
		// no lease. watermill-sql v3.1.0 documents neither; pinned by
		// watermillsql_test.go.
		return tx, err
	}
	q := b.stmts.In(tx)
	var locked, writable bool
	if err := q.QueryRowContext(ctx, b.lock).Scan(&locked, &writable); err != nil {
		_ = tx.Rollback()
		return nil, fmt.Errorf("take outbox shard lock: %w", err)
	}
	if locked && !writable {
		_ = tx.Rollback()
		return nil, fmt.Errorf("outbox shard %s: %w", b.offsets, errCannotRecordPosition)
	}
	if !locked {
		_ = tx.Rollback()
		return nil, errShardBusy
	}
	b.lease.begun(tx)
	b.holds.begin(tx)
	return tx, nil
}
