package shard

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/lib/pq"
)

// The writers' lock of a shard: every transaction that writes the shard
// holds it, shared, from before it has a transaction ID until it ends, so
// the forwarder can tell from pg_locks which open transactions may still add
// rows to the shard (docs/forwarder.md, "Reading", has the argument).
//
// Its key is the bigint (writerLockClass << 32 | OID of the shard's
// messages table): pg_locks shows it as classid = writerLockClass, objid =
// the table's OID, objsubid = 1. An OID names one table of one database,
// so no two shards share a key, and anyone can take the lock in SQL (the
// dead-letter replay in docs/forwarder.md does).
const writerLockClass = 0x6f627772 // "obwr"; below 2^31, so the key is positive

// writerLockKey is the SQL expression of topic's writer-lock key.
func writerLockKey(topic string) string {
	return fmt.Sprintf("(%d::bigint << 32 | %s::regclass::oid::bigint)", writerLockClass, pq.QuoteLiteral(MessagesTable(topic)))
}

// AnnounceQuery takes the writer locks of topics, in the order given (the
// caller sorts them: shard order), and returns the transaction's ID if it
// already had one. A transaction that had one when it took a lock may
// have written rows the forwarder could pass before it saw the lock: it must
// not write the shard (the caller rolls it back).
func AnnounceQuery(topics []string) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for _, topic := range topics {
		b.WriteString("pg_advisory_xact_lock_shared(" + writerLockKey(topic) + "), ")
	}
	b.WriteString("pg_current_xact_id_if_assigned()::text")
	return b.String()
}

// LockingInsertQuery is InsertQuery for a writer that has not announced
// itself (watermill-sql's publisher in tests and tools): the statement
// takes the writer lock first and fails when the transaction already had
// an ID, so its rows are as safe as the Publisher's. The lock and the
// check run once, in a materialized CTE, before the first row gets the
// transaction's ID. (The failure is a cast of the message to int: plain
// SQL cannot raise, and xid8's input takes any text as 0.)
func LockingInsertQuery(topic string, msgs message.Messages) (watermillsql.Query, error) {
	// The rows are joined to the CTE rather than calling it from VALUES:
	// the "offset" default's nextval may itself give the transaction its
	// ID (when it WAL-logs the sequence), and the defaults are computed
	// only once a joined row exists, after the CTE ran.
	return insertQuery(msgs, `WITH writer AS MATERIALIZED (
			SELECT CASE WHEN pg_current_xact_id_if_assigned() IS NULL THEN pg_current_xact_id()
				ELSE ('outbox: this transaction wrote before it took the writer lock of ' || `+pq.QuoteLiteral(topic)+
		` || ' (transaction ' || pg_current_xact_id_if_assigned() || '); take it first')::int::text::xid8 END AS xid
			FROM (SELECT pg_advisory_xact_lock_shared(`+writerLockKey(topic)+`) OFFSET 0) AS lock)
		INSERT INTO `+MessagesTable(topic)+` (uuid, payload, metadata, transaction_id)
		SELECT v.uuid, v.payload, v.metadata, writer.xid FROM writer, (VALUES `,
		"($%d::text,$%d::bytea,$%d::json)", `) AS v (uuid, payload, metadata)`)
}

// BarrierQuery is a statement that stores, for the rest of the
// transaction, the transaction ID below which the forwarder may read topic
// (BarrierSetting): the oldest ID among the transactions holding the
// shard's writer lock, at most the snapshot's xmax. It must run in READ
// COMMITTED, in a statement before the select, so that the select's
// snapshot is taken after pg_locks was read. Why this skips no row, why
// pg_locks is read only when a committed row at or above xmin waits (the
// fast path), and why that look-up starts at the later of the position
// and xmin: docs/forwarder.md, "Reading" and the guarantees table.
//
// A holder's backend_xid is 32 bits; it is widened against xmax (running
// transactions are within 2^31 of it). Prepared transactions (pid NULL)
// are not seen; the service uses none.
func BarrierQuery(topic, consumerGroup string) string {
	return `set_config('` + BarrierSetting + `', (
		SELECT CASE WHEN (SELECT m.transaction_id FROM ` + MessagesTable(topic) + ` AS m
				WHERE (m.transaction_id, m."offset") > (SELECT GREATEST(last_processed_transaction_id, x.xmin),
						CASE WHEN last_processed_transaction_id < x.xmin THEN -9223372036854775808 ELSE offset_acked END
					FROM ` + OffsetsTable(topic) + ` WHERE consumer_group = ` + pq.QuoteLiteral(consumerGroup) + `)
				ORDER BY m.transaction_id, m."offset" LIMIT 1) IS NULL THEN x.xmin::text::bigint
			ELSE x.xmax + LEAST(0, COALESCE((
			SELECT min((a.backend_xid::text::bigint - x.xmax % 4294967296 + 6442450944) % 4294967296 - 2147483648)
			FROM pg_locks l, pg_stat_get_activity(l.pid) a
			WHERE l.locktype = 'advisory' AND l.pid IS NOT NULL
				AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
				AND l.classid = ` + fmt.Sprint(writerLockClass) + ` AND l.objsubid = 1
				AND l.objid = ` + pq.QuoteLiteral(MessagesTable(topic)) + `::regclass::oid), 0)) END::text
		FROM (SELECT pg_snapshot_xmin(s) AS xmin, pg_snapshot_xmax(s)::text::bigint AS xmax
			FROM pg_current_snapshot() AS s) AS x), true)`
}

// BarrierSetting is the transaction-local setting BarrierQuery stores the
// barrier in.
const BarrierSetting = "outbox.barrier"

// Barrier is the select's bound: the barrier BarrierQuery stored, or,
// in a transaction that did not run it, the cluster's xmin (safe for any
// writer, blocked by any transaction).
const Barrier = `COALESCE(NULLIF(current_setting('` + BarrierSetting + `', true), '')::xid8, pg_snapshot_xmin(pg_current_snapshot()))`

// Blocker is the session that blocks a shard's delivery: the oldest
// open writer of the shard (the barrier), or, when that writer waits for
// a lock, the session it waits for (pg_blocking_pids), which need not be
// a writer at all: psql holding a row, DDL, LOCK TABLE.
type Blocker struct {
	WriterPID int64 // the oldest writer with a transaction ID
	// PID is the session that holds the writer up, or WriterPID when it
	// waits for no lock. Its State, Query (PostgreSQL shows the text only
	// to its own role and to pg_read_all_stats) and the age of its
	// transaction (XactAge, 0 when not shown) follow.
	PID     int64
	State   string
	Query   string
	XactAge time.Duration
}

// Waiting reports whether the writer waits for another session's lock.
func (b Blocker) Waiting() bool { return b.PID != b.WriterPID }

// maxQueryLength bounds a blocker's query as reported: a log line and a
// status table need what it is, not the whole of a long statement.
const maxQueryLength = 200

// ReadBlocker reads topic's Blocker; false when no open writer of the
// shard has a transaction ID (nothing holds it back). It reads pg_locks,
// which costs about a millisecond: for reports, not for every cycle.
func ReadBlocker(ctx context.Context, db QueryRower, topic string) (Blocker, bool, error) {
	var (
		b            Blocker
		state, query sql.NullString
		ageSecs      sql.NullFloat64
	)
	err := db.QueryRowContext(ctx, `
		SELECT w.pid, COALESCE(b.pid, w.pid), COALESCE(b.state, w.state), COALESCE(b.query, w.query),
			EXTRACT(EPOCH FROM now() - COALESCE(b.xact_start, w.xact_start))
		FROM (SELECT a.pid, a.state, a.query, a.xact_start
			FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'advisory' AND l.pid <> pg_backend_pid()
				AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
				AND l.classid = `+fmt.Sprint(writerLockClass)+` AND l.objsubid = 1
				AND l.objid = `+pq.QuoteLiteral(MessagesTable(topic))+`::regclass::oid
				AND a.backend_xid IS NOT NULL
			ORDER BY age(a.backend_xid) DESC LIMIT 1) AS w
		LEFT JOIN LATERAL (SELECT a.pid, a.state, a.query, a.xact_start
			FROM unnest(pg_blocking_pids(w.pid)) AS p (pid) JOIN pg_stat_activity a ON a.pid = p.pid
			ORDER BY a.xact_start NULLS LAST LIMIT 1) AS b ON true`).
		Scan(&b.WriterPID, &b.PID, &state, &query, &ageSecs)
	if errors.Is(err, sql.ErrNoRows) {
		return Blocker{}, false, nil
	}
	if err != nil {
		return Blocker{}, false, fmt.Errorf("read what blocks %s: %w", topic, err)
	}
	b.State, b.Query = state.String, strings.Join(strings.Fields(query.String), " ")
	if len(b.Query) > maxQueryLength {
		b.Query = strings.ToValidUTF8(b.Query[:maxQueryLength], "") + "…"
	}
	if ageSecs.Valid && ageSecs.Float64 > 0 {
		b.XactAge = time.Duration(ageSecs.Float64 * float64(time.Second))
	}
	return b, true, nil
}
