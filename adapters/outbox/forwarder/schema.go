package forwarder

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/outbox/internal/shard"
)

// DefaultBatchSize is how many rows one forwarder query reads.
const DefaultBatchSize = 1000

// Metadata the schemaAdapter adds to each message it reads, so that
// middlewares know where the row came from. The forwarder does not pass
// them on: it publishes the message unwrapped from the envelope.
const (
	metadataOffset        = "_outbox_offset"
	metadataTransactionID = "_outbox_transaction_id"
	metadataCreatedAt     = "_outbox_created_at"
	// metadataUnreadable marks a row whose metadata column is not an object
	// of strings (why), and metadataRaw keeps that column as it was: the
	// shard handler dead-letters such a row instead of the whole
	// select failing on it.
	metadataUnreadable = "_outbox_unreadable_metadata"
	metadataRaw        = "_outbox_raw_metadata"
)

// schemaAdapter is the watermill-sql SchemaAdapter of the outbox tables on
// PostgreSQL 13 or later. Its select walks the primary key from the
// position and stops after BatchSize rows or at the shard's barrier
// (shard.Barrier, stored by lockingBeginner's statement; the cluster's
// pg_snapshot_xmin without it), in READ COMMITTED with no row lock. It
// reads nothing while a row names a transaction ID the database has not
// reached (a restore; shard.State.Impossible). Why: docs/forwarder.md,
// "Shape" (Reading, Leases), "Writers and the barrier", "Guarantees"
// (Restore); docs/adr/0003-forwarder-design.md.
type schemaAdapter struct {
	// BatchSize is the number of rows one query reads. Defaults to
	// DefaultBatchSize.
	BatchSize int
	// lease, when set, hears of each row read (the select is answering).
	lease *lease
	// holds, when set, is told the shard's held orders each select reads.
	holds *holds
}

func (s schemaAdapter) batchSize() int {
	if s.BatchSize <= 0 {
		return DefaultBatchSize
	}
	return s.BatchSize
}

// InsertQuery inserts msgs taking the shard's writer lock in the same
// statement (tests publish with this adapter through watermill-sql's
// publisher, which does not announce itself as the outbox Publisher does).
func (s schemaAdapter) InsertQuery(topic string, msgs message.Messages) (watermillsql.Query, error) {
	return shard.LockingInsertQuery(topic, msgs)
}

// SelectQuery returns the next batch after the consumer group's position,
// each row with the shard's held orders (heldOrdersColumn). It has no
// parameters (the group is quoted into the text), so the driver
// sends it in one round trip.
func (s schemaAdapter) SelectQuery(topic string, consumerGroup string, _ watermillsql.OffsetsAdapter) watermillsql.Query {
	return watermillsql.Query{Query: `
		SELECT "offset", transaction_id, uuid, payload, metadata, created_at, ` + heldOrdersColumn(s.holds) + `
		FROM ` + shard.MessagesTable(topic) + `
		WHERE (transaction_id, "offset") > (
				SELECT last_processed_transaction_id, offset_acked
				FROM ` + shard.OffsetsTable(topic) + `
				WHERE consumer_group = ` + pq.QuoteLiteral(consumerGroup) + `)
			AND transaction_id < ` + shard.Barrier + `
			AND NOT ` + shard.AheadOfTransactionIDs(topic) + `
		ORDER BY transaction_id, "offset"
		LIMIT ` + strconv.Itoa(s.batchSize())}
}

// UnmarshalMessage turns a row of SelectQuery into a message.
func (s schemaAdapter) UnmarshalMessage(row watermillsql.Scanner) (watermillsql.Row, error) {
	var (
		r             watermillsql.Row
		transactionID int64
		createdAt     time.Time
	)
	var held pq.StringArray
	if err := row.Scan(&r.Offset, &transactionID, &r.UUID, &r.Payload, &r.Metadata, &createdAt, &held); err != nil {
		return watermillsql.Row{}, fmt.Errorf("scan outbox row: %w", err)
	}
	if s.lease != nil {
		s.lease.rowRead()
	}
	if s.holds != nil {
		s.holds.read(held)
	}
	msg := message.NewMessage(string(r.UUID), r.Payload)
	if len(r.Metadata) > 0 {
		// An error here would fail the subscriber's whole select, and so
		// the shard, for ever: the row is marked for the dead letters.
		if err := json.Unmarshal(r.Metadata, &msg.Metadata); err != nil {
			msg.Metadata = message.Metadata{
				metadataUnreadable: fmt.Sprintf("metadata of outbox row %d cannot be read: %v", r.Offset, err),
				metadataRaw:        string(r.Metadata),
			}
		}
	}
	if msg.Metadata == nil {
		msg.Metadata = message.Metadata{}
	}
	msg.Metadata.Set(metadataOffset, strconv.FormatInt(r.Offset, 10))
	msg.Metadata.Set(metadataTransactionID, strconv.FormatInt(transactionID, 10))
	msg.Metadata.Set(metadataCreatedAt, strconv.FormatInt(createdAt.UnixNano(), 10))
	r.Msg = msg
	r.ExtraData = map[string]any{"transaction_id": transactionID}
	return r, nil
}

// parseCreatedAt reads the metadataCreatedAt UnmarshalMessage sets.
func parseCreatedAt(s string) (time.Time, error) {
	ns, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, ns), nil
}

// SchemaInitializingQueries creates the tables of a SQL topic. The outbox's
// own tables are created by migrations; this serves
// watermill-sql's schema initialisation, as in tests.
func (s schemaAdapter) SchemaInitializingQueries(topic string) []watermillsql.Query {
	var qs []watermillsql.Query
	for _, ddl := range shard.DDL(topic) {
		qs = append(qs, watermillsql.Query{Query: ddl})
	}
	return qs
}

// SubscribeIsolationLevel is READ COMMITTED; see the type's comment.
func (s schemaAdapter) SubscribeIsolationLevel() sql.IsolationLevel {
	return sql.LevelReadCommitted
}

// offsetsAdapter is the watermill-sql offsetsAdapter paired with
// schemaAdapter: one row per consumer group in watermill_offsets_<topic>.
type offsetsAdapter struct {
	// CreateMissing inserts a consumer group's row at the start of the topic
	// when it subscribes without one. The forwarder leaves it off: its rows
	// are created with the tables, and a missing one is a stall to report
	// (a new row would resend every retained message), not to paper over.
	CreateMissing bool

	// beforeAck, when set, is called before the position moves (the
	// forwarder's pipeline barrier: it returns when the broker answered
	// every record sent); an error makes the ack query fail instead.
	beforeAck func() error
}

// batchNotAcknowledgedQuery is the ack query when the broker did not
// acknowledge every message of the batch: it fails, so the subscriber's
// transaction rolls back and the batch is read again.
const batchNotAcknowledgedQuery = `DO $$BEGIN RAISE EXCEPTION 'outbox: the broker did not acknowledge every message of this batch; it is read again'; END$$`

// AckMessageQuery moves the consumer group's position to row. The
// watermill-sql subscriber runs it once per batch, after the last message
// it moves over was acked, in the transaction that read the batch, and
// rolls that transaction back when it fails (so the batch is read again).
// The forwarder relies on that call order, which watermill-sql v3.1.0 does not
// document: watermillsql_test.go pins it.
func (a offsetsAdapter) AckMessageQuery(topic string, row watermillsql.Row, consumerGroup string) watermillsql.Query {
	if a.beforeAck != nil {
		if err := a.beforeAck(); err != nil {
			return watermillsql.Query{Query: batchNotAcknowledgedQuery}
		}
	}
	return watermillsql.Query{Query: fmt.Sprintf(
		`UPDATE %s SET offset_acked = %d, last_processed_transaction_id = '%d' WHERE consumer_group = %s`,
		shard.OffsetsTable(topic), row.Offset, row.ExtraData["transaction_id"], pq.QuoteLiteral(consumerGroup))}
}

// ConsumedMessageQuery is not needed: the advisory lock keeps consumers of a
// group apart.
func (a offsetsAdapter) ConsumedMessageQuery(string, watermillsql.Row, string, []byte) watermillsql.Query {
	return watermillsql.Query{}
}

// NextOffsetQuery returns the consumer group's position.
func (a offsetsAdapter) NextOffsetQuery(topic, consumerGroup string) watermillsql.Query {
	return watermillsql.Query{
		Query: `SELECT offset_acked, last_processed_transaction_id FROM ` + shard.OffsetsTable(topic) + ` WHERE consumer_group = $1`,
		Args:  []any{consumerGroup},
	}
}

// SchemaInitializingQueries returns nothing: schemaAdapter creates both tables.
func (a offsetsAdapter) SchemaInitializingQueries(string) []watermillsql.Query { return nil }

// BeforeSubscribingQueries creates the consumer group's row when CreateMissing.
func (a offsetsAdapter) BeforeSubscribingQueries(topic string, consumerGroup string) []watermillsql.Query {
	if !a.CreateMissing {
		return nil
	}
	return []watermillsql.Query{{
		Query: `INSERT INTO ` + shard.OffsetsTable(topic) + ` (consumer_group, offset_acked, last_processed_transaction_id)
			VALUES ($1, 0, '0') ON CONFLICT DO NOTHING`,
		Args: []any{consumerGroup},
	}}
}
