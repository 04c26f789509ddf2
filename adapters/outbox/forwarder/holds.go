package forwarder

import (
	"context"
	"database/sql"
	"strings"
	"sync"

	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/outbox"
)

// holds knows, for the batch a shard is forwarding, which orders
// (partition keys) have open dead letters in the shard: their events are
// held, not sent, so that no order's later event reaches Kafka while an
// earlier one is missing (consumers would see OrderCancelled without
// OrderPlaced). The set is read by the batch's select (heldOrdersColumn),
// after the shard lock (lockingBeginner), so it is the one the operators'
// replay and skip left (they take the same lock); letters the batch itself
// stores join it at once.
//
// The subscriber runs one transaction at a time per shard, and reads all
// of a batch's rows before it hands out the first, so one set is kept, for
// the transaction it was read in; a message of any other
// transaction (not expected) is looked up in the database.
type holds struct {
	outbox, topic string

	mu   sync.Mutex
	tx   *sql.Tx
	keys map[string]struct{}
}

// heldOrdersColumn is the select's last column (schemaAdapter): the
// shard's held orders, an array, the same in every row (NULL: none). The
// select reads them itself, once, in the statement after the lease's, so
// its snapshot has the letters of the lease's previous holder, at no round
// trip of their own. NULL without holds (tests of the adapter alone).
func heldOrdersColumn(h *holds) string {
	if h == nil {
		return `NULL::text[]`
	}
	return `(SELECT array_agg(DISTINCT partition_key) FROM outbox_dead_letters
		WHERE outbox = ` + pq.QuoteLiteral(h.outbox) + ` AND sql_topic = ` + pq.QuoteLiteral(h.topic) + `
			AND status IN ('dead', 'held') AND partition_key IS NOT NULL)`
}

// begin starts the set of tx, the lease's new transaction: empty until its
// select reads the held orders (read).
func (h *holds) begin(tx *sql.Tx) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tx, h.keys = tx, nil
}

// read records the held orders the select of the current transaction read
// (heldOrdersColumn); every row carries them.
func (h *holds) read(keys []string) {
	if len(keys) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.keys == nil {
		h.keys = make(map[string]struct{}, len(keys))
	}
	for _, k := range keys {
		h.keys[k] = struct{}{}
	}
}

// any reports whether some order may be held in tx: false is the common
// case, in which the middleware need not look into the envelope.
func (h *holds) any(tx *sql.Tx) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return tx != h.tx || len(h.keys) > 0
}

// held reports whether key's events are held in tx; q is tx, or the
// database when there is no transaction.
func (h *holds) held(ctx context.Context, q dbQueryer, tx *sql.Tx, key string) (bool, error) {
	h.mu.Lock()
	if tx == h.tx {
		_, ok := h.keys[key]
		h.mu.Unlock()
		return ok, nil
	}
	h.mu.Unlock()
	var held bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM outbox_dead_letters
		WHERE outbox = $1 AND sql_topic = $2 AND partition_key = $3 AND status IN ('dead', 'held'))`,
		h.outbox, h.topic, key).Scan(&held)
	return held, err
}

// add holds key's later events in tx.
func (h *holds) add(tx *sql.Tx, key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if tx == h.tx {
		if h.keys == nil {
			h.keys = map[string]struct{}{}
		}
		h.keys[key] = struct{}{}
	}
}

// partitionKeyOf reads the order of a stored envelope, as far as it can:
// the old JSON envelope is decoded field by field, so one field of the
// wrong type (an object payload) still leaves its metadata. "" when it
// cannot tell.
func partitionKeyOf(payload []byte) string {
	var env outbox.Envelope
	_ = outbox.Marshaler{}.Unmarshal(payload, &env)
	return env.Metadata[outbox.MetadataPartitionKey]
}

// dbQueryer is a *sql.Tx or a *sql.DB.
type dbQueryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// letterQuery stores a dead or held letter and returns its ID and the open
// letter of the same order it is held behind (0 if none). $10 is the
// partition key (NULL when unknown), $11 the status; a held letter's
// reason $8 is a format with a %s for that letter.
const letterQuery = `
	WITH head AS (
		SELECT min(id) AS id FROM outbox_dead_letters
		WHERE outbox = $1 AND partition_key = $10 AND status IN ('dead', 'held'))
	INSERT INTO outbox_dead_letters (outbox, sql_topic, "offset", transaction_id, uuid, payload, metadata,
		reason, created_at, partition_key, status, held_behind)
	SELECT $1, $2, $3, $4, $5, $6, $7,
		CASE WHEN $11 = 'held' THEN format($8, head.id) ELSE $8 END, $9, $10, $11, head.id
	FROM head
	RETURNING id, COALESCE(held_behind, 0)`

// heldReason is the reason format of a held letter of order key.
func heldReason(key string) string {
	key = strings.ReplaceAll(key, "%", "%%")
	return "held behind dead letter %s of order " + key + ", so that the order's events stay in order; " +
		"`orders outbox dead-letters replay|skip " + key + "` releases it"
}
