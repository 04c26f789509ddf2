// Package shard holds the SQL of one outbox shard that both the forwarder and
// the operations need: its tables, the insert, the advisory lock that
// makes forwarders take turns, and where a consumer group stands in it.
package shard

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"

	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/lib/pq"
)

// MessagesTable is the quoted name of a SQL topic's messages table, as
// watermill-sql's PostgreSQL adapters name it.
func MessagesTable(topic string) string { return `"watermill_` + checkedTopic(topic) + `"` }

// OffsetsTable is the quoted name of a SQL topic's table of consumer-group
// positions.
func OffsetsTable(topic string) string { return `"watermill_offsets_` + checkedTopic(topic) + `"` }

// maxTopicLength keeps "watermill_offsets_" + topic within PostgreSQL's
// 63-byte identifiers.
const maxTopicLength = 45

// checkedTopic returns topic when it is ASCII letters, digits, '_', '.'
// and '-', starting with a letter or digit (watermill-sql's topic names,
// without '$' and ':'); it panics otherwise. Topics are built from a
// validated outbox.Config, so a bad one is a programming error, and it
// must never reach SQL: it is quoted into table names.
func checkedTopic(topic string) string {
	ok := topic != "" && len(topic) <= maxTopicLength && isAlnum(topic[0])
	for i := 0; ok && i < len(topic); i++ {
		c := topic[i]
		ok = isAlnum(c) || c == '_' || c == '.' || c == '-'
	}
	if !ok {
		panic(fmt.Sprintf("outbox SQL topic %q: want letters, digits, '_', '.' or '-', starting with a letter or digit, at most %d bytes", topic, maxTopicLength))
	}
	return topic
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// DDL creates the messages and offsets tables of one SQL topic. The
// migrations write the same statements out (migrations/00010, 00023).
//
// The primary key (transaction_id, "offset") is the order the forwarder reads
// in: by the transaction that wrote a row, then by insertion order.
// payload is BYTEA: the outbox stores the forwarder's envelope as it is.
func DDL(topic string) []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + MessagesTable(topic) + ` (
			"offset"       BIGSERIAL,
			uuid           TEXT        NOT NULL,
			created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
			payload        BYTEA,
			metadata       JSON,
			transaction_id XID8        NOT NULL,
			PRIMARY KEY (transaction_id, "offset")
		)`,
		`CREATE TABLE IF NOT EXISTS ` + OffsetsTable(topic) + ` (
			consumer_group                TEXT   PRIMARY KEY,
			offset_acked                  BIGINT NOT NULL,
			last_processed_transaction_id XID8   NOT NULL
		)`,
	}
}

// InsertQuery inserts msgs, in order, stamped with the writing transaction's
// ID, for a writer that holds the shard's writer lock (the Publisher
// announces itself first; see writers.go).
func InsertQuery(topic string, msgs message.Messages) (watermillsql.Query, error) {
	return insertQuery(msgs,
		`INSERT INTO `+MessagesTable(topic)+` (uuid, payload, metadata, transaction_id) VALUES `,
		"($%d,$%d,$%d,pg_current_xact_id())", "")
}

// insertQuery is head, a row per message (row formats its three
// placeholders' numbers) separated by commas, and tail.
func insertQuery(msgs message.Messages, head, row, tail string) (watermillsql.Query, error) {
	var b strings.Builder
	b.WriteString(head)
	args := make([]any, 0, 3*len(msgs))
	for i, msg := range msgs {
		metadata, err := json.Marshal(msg.Metadata)
		if err != nil {
			return watermillsql.Query{}, fmt.Errorf("marshal metadata of message %s: %w", msg.UUID, err)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, row, 3*i+1, 3*i+2, 3*i+3)
		args = append(args, msg.UUID, []byte(msg.Payload), metadata)
	}
	b.WriteString(tail)
	return watermillsql.Query{Query: b.String(), Args: args}, nil
}

// LockKey is the advisory lock of one consumer group on one SQL topic.
func LockKey(topic, consumerGroup string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("outbox\x00" + topic + "\x00" + consumerGroup))
	return int64(h.Sum64())
}

// LockID is how pg_locks shows the advisory lock LockKey(topic, group):
// classid is its upper 32 bits, objid its lower, objsubid 1.
func LockID(topic, consumerGroup string) (classID, objID int64) {
	k := uint64(LockKey(topic, consumerGroup))
	return int64(k >> 32), int64(k & 0xffffffff)
}

// Lock takes the shard's advisory lock on tx, waiting for it: operations
// use it to work on a shard that no forwarder is reading.
func Lock(ctx context.Context, tx *sql.Tx, topic, consumerGroup string) error {
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", LockKey(topic, consumerGroup))); err != nil {
		return fmt.Errorf("lock outbox shard %s: %w", topic, err)
	}
	return nil
}

// State is where a consumer group stands in a shard.
type State struct {
	// Missing: the group has no offsets row; the select finds nothing.
	Missing bool
	// Impossible: the row, or rows of the table, name transactions that
	// have not started yet (the database was restored from a logical dump
	// into a new cluster): the select finds nothing until the new
	// transaction IDs pass them, and would then skip the rows written
	// meanwhile.
	Impossible bool
	// Pending: committed rows wait after the position (they may be
	// invisible for now, behind an older transaction still open).
	Pending bool
	// Position is "(transaction ID, offset)", "" when Missing.
	Position string
}

// Stalled reports a position the forwarder cannot move from by itself.
func (s State) Stalled() bool { return s.Missing || s.Impossible }

// Problem says what the state means for an operator.
func (s State) Problem() string {
	switch {
	case s.Missing:
		return "position missing"
	case s.Impossible:
		return "position or rows ahead of the database's transaction IDs (restored from a dump?)"
	case s.Pending:
		return "messages waiting"
	default:
		return "ok"
	}
}

// AheadOfTransactionIDs is true when a row of topic names a transaction
// that has not started yet (State.Impossible). It reads the newest row
// from the upper end of the primary key: as an EXISTS with a filter, the
// planner may scan the whole table instead, expecting an early match that
// never comes (it did, once per forwarder cycle, on tables without statistics).
func AheadOfTransactionIDs(topic string) string {
	return `COALESCE((SELECT transaction_id FROM ` + MessagesTable(topic) + `
		ORDER BY transaction_id DESC LIMIT 1) >= pg_snapshot_xmax(pg_current_snapshot()), false)`
}

// QueryRower is a *sql.DB, *sql.Tx or *sql.Conn.
type QueryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ReadState reads where consumerGroup stands in topic. Its cost does not
// grow with the rows already forwarded: "pending" is the first row after
// the position, found by walking the primary key (as an EXISTS, the
// planner would scan the whole table instead: a row comparison with the
// outer query's values is an index condition only under ORDER BY …
// LIMIT, which an EXISTS drops).
func ReadState(ctx context.Context, db QueryRower, topic, consumerGroup string) (State, error) {
	var s State
	err := db.QueryRowContext(ctx, `
		SELECT o.consumer_group IS NULL,
			COALESCE(o.last_processed_transaction_id >= pg_snapshot_xmax(pg_current_snapshot()), false)
				OR `+AheadOfTransactionIDs(topic)+`,
			(SELECT true FROM `+MessagesTable(topic)+` m
				WHERE (m.transaction_id, m."offset") > (o.last_processed_transaction_id, o.offset_acked)
				ORDER BY m.transaction_id, m."offset" LIMIT 1) IS NOT NULL,
			COALESCE('(' || o.last_processed_transaction_id || ', ' || o.offset_acked || ')', '')
		FROM (SELECT 1) AS one
		LEFT JOIN `+OffsetsTable(topic)+` o ON o.consumer_group = `+pq.QuoteLiteral(consumerGroup)).
		Scan(&s.Missing, &s.Impossible, &s.Pending, &s.Position)
	return s, err
}
