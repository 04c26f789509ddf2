package messagestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/inbox"
)

// RecordInbox inserts the key of a consumed message into the consumer's
// inbox table, on the unit of work of the message's effect. It returns
// inbox.ErrDuplicate when the key is already there (the transaction must
// then roll back), and nil without writing for the zero key (work that no
// message caused, such as an HTTP request). A concurrent transaction
// inserting the same key makes this one wait for its outcome.
//
// A key with an OrderKey is recorded only while the consumer has no
// parked message of that order, read in the same statement: otherwise
// inbox.ErrParked (and nothing is written). This check replaces one of
// its own before every message, and holds the order's guarantee only
// because every repository records the inbox before any other effect of
// the message.
//
// A key with a Version records its order and version too (the inventory's
// and payment's inboxes, migration 00047): another message with the same
// ones fails with inbox.ErrConflictingEvent. Both unique indexes are the
// insert's arbiters (ON CONFLICT without a target): with only the message's
// as arbiter, two instances recording the same message at once (after a
// rebalance) raced on the other index, and the loser's unique violation
// read as a forked history, which parked the message.
func RecordInbox(ctx context.Context, uow *pgtx.UnitOfWork, table string, key inbox.Key) error {
	if key.IsZero() {
		return nil
	}
	if err := ValidateTable(table); err != nil {
		return fmt.Errorf("record message %s: %w", key.MessageID, err)
	}
	if key.OrderKey != "" {
		if uow.Batched() {
			return pgtx.Gather(ctx, uow, gatheredInbox{table, key.Consumer, key.Version != 0}, func(ctx context.Context, keys []inbox.Key) error {
				return recordAllUnlessParked(ctx, uow, table, keys)
			}, key)
		}
		return recordUnlessParked(ctx, uow, table, key)
	}
	res, err := uow.ExecContext(ctx, `INSERT INTO `+table+` (consumer, message_id, received_at`+versionColumns(key)+`) VALUES ($1, $2, $3`+versionValues(key, 4)+`)
		ON CONFLICT DO NOTHING`, append([]any{key.Consumer, key.MessageID, time.Now()}, versionArgs(key)...)...)
	if err != nil {
		return fmt.Errorf("record message %s in %s: %w", key.MessageID, table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("record message %s in %s: %w", key.MessageID, table, err)
	}
	if n == 0 {
		return notRecorded(ctx, uow, table, key)
	}
	return nil
}

// notRecorded tells why key's insert did nothing: the message is there
// (inbox.ErrDuplicate), or another message with its order and version is
// (inbox.ErrConflictingEvent). It reads in a statement of its own: the
// insert's snapshot does not see a row that a concurrent transaction
// committed while the insert waited for it.
func notRecorded(ctx context.Context, uow *pgtx.UnitOfWork, table string, key inbox.Key) error {
	duplicate := fmt.Errorf("%s, message %s: %w", key.Consumer, key.MessageID, inbox.ErrDuplicate)
	if key.Version == 0 {
		return duplicate
	}
	var recorded bool
	err := uow.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE consumer = $1 AND message_id = $2)`,
		key.Consumer, key.MessageID).Scan(&recorded)
	switch {
	case err != nil:
		return fmt.Errorf("read message %s in %s: %w", key.MessageID, table, err)
	case recorded:
		return duplicate
	}
	return fmt.Errorf("%s, message %s: order %s version %d: %w", key.Consumer, key.MessageID, key.Order, key.Version, inbox.ErrConflictingEvent)
}

// recordUnlessParked is RecordInbox's one statement that reads the
// parking lot of the inbox's service and inserts the key only when the
// order is not parked there. A parked order wins over a duplicate: the
// message is parked behind the order's earlier ones either way.
func recordUnlessParked(ctx context.Context, uow *pgtx.UnitOfWork, table string, key inbox.Key) error {
	parkedTable, err := parkedTableOf(table)
	if err != nil {
		return fmt.Errorf("record message %s: %w", key.MessageID, err)
	}
	var parked, recorded bool
	err = uow.QueryRowContext(ctx, `
		WITH parked AS (
			SELECT EXISTS (SELECT 1 FROM `+parkedTable+` WHERE consumer = $1 AND order_key = $4) AS parked
		), recorded AS (
			INSERT INTO `+table+` (consumer, message_id, received_at`+versionColumns(key)+`)
			SELECT $1, $2, $3`+versionValues(key, 5)+` FROM parked WHERE NOT parked.parked
			ON CONFLICT DO NOTHING
			RETURNING true
		)
		SELECT parked.parked, EXISTS (SELECT 1 FROM recorded) FROM parked`,
		append([]any{key.Consumer, key.MessageID, time.Now(), key.OrderKey}, versionArgs(key)...)...).Scan(&parked, &recorded)
	switch {
	case err != nil:
		return fmt.Errorf("record message %s in %s: %w", key.MessageID, table, err)
	case parked:
		return fmt.Errorf("%s, message %s of order %s: %w", key.Consumer, key.MessageID, key.OrderKey, inbox.ErrParked)
	case !recorded:
		return notRecorded(ctx, uow, table, key)
	}
	return nil
}

// gatheredInbox is the key of a batch's inbox records of one table,
// consumer and shape (with or without order and version).
type gatheredInbox struct {
	table, consumer string
	withVersion     bool
}

// errBatchNotRecorded fails a batch whose inbox insert left out a message:
// a duplicate or a parked order. The batch rolls back and its messages run
// alone, where each finds its own outcome (inbox.ErrDuplicate,
// inbox.ErrParked).
var errBatchNotRecorded = errors.New("a message of the batch is a duplicate or of a parked order")

// recordAllUnlessParked is recordUnlessParked for a batch's keys, in one
// statement; the keys share their consumer, and all or none has a Version.
func recordAllUnlessParked(ctx context.Context, uow *pgtx.UnitOfWork, table string, keys []inbox.Key) error {
	parkedTable, err := parkedTableOf(table)
	if err != nil {
		return err
	}
	ids := make([]string, len(keys))
	orderKeys := make([]string, len(keys))
	orders := make([]string, len(keys))
	versions := make([]int64, len(keys))
	for i, k := range keys {
		ids[i], orderKeys[i], orders[i], versions[i] = k.MessageID, k.OrderKey, k.Order, int64(k.Version)
	}
	columns, values := "", ""
	if keys[0].Version != 0 {
		columns, values = ", order_id, version", ", g.order_id, g.version"
	}
	var recorded int
	err = uow.QueryRowContext(ctx, `
		WITH recorded AS (
			INSERT INTO `+table+` (consumer, message_id, received_at`+columns+`)
			SELECT $1, g.message_id, $2`+values+`
			FROM unnest($3::text[], $4::text[], $5::text[], $6::int[]) AS g(message_id, order_key, order_id, version)
			WHERE NOT EXISTS (SELECT 1 FROM `+parkedTable+` p WHERE p.consumer = $1 AND p.order_key = g.order_key)
			ON CONFLICT DO NOTHING
			RETURNING 1
		)
		SELECT count(*) FROM recorded`,
		keys[0].Consumer, time.Now(), pq.Array(ids), pq.Array(orderKeys), pq.Array(orders), pq.Array(versions)).Scan(&recorded)
	if err != nil {
		return fmt.Errorf("record %d messages in %s: %w", len(keys), table, err)
	}
	if recorded != len(keys) {
		return fmt.Errorf("%s: %d of %d messages recorded: %w", table, recorded, len(keys), errBatchNotRecorded)
	}
	return nil
}

// parkedTableOf is the parked-messages table of the service whose inbox
// is inboxTable.
func parkedTableOf(inboxTable string) (string, error) {
	for _, t := range []Tables{InventoryTables, PaymentTables, SagaTables} {
		if t.Inbox == inboxTable {
			return t.Parked, nil
		}
	}
	return "", fmt.Errorf("inbox %s has no parking lot", inboxTable)
}

// DeleteInboxBefore deletes inbox records older than maxAge and returns
// how many. A message redelivered after its record is gone would be
// applied again, so maxAge must exceed the longest redelivery delay (see
// docs/saga.md).
func DeleteInboxBefore(ctx context.Context, db *sql.DB, table string, maxAge time.Duration) (int64, error) {
	if err := ValidateTable(table); err != nil {
		return 0, err
	}
	res, err := db.ExecContext(ctx, `DELETE FROM `+table+` WHERE received_at < now() - make_interval(secs => $1)`, maxAge.Seconds())
	if err != nil {
		return 0, fmt.Errorf("delete old records of %s: %w", table, err)
	}
	return res.RowsAffected()
}

// versionColumns, versionValues and versionArgs add a key's order and
// version to its inbox insert, when it has them; from argument $first on.
func versionColumns(key inbox.Key) string {
	if key.Version == 0 {
		return ""
	}
	return ", order_id, version"
}

func versionValues(key inbox.Key, first int) string {
	if key.Version == 0 {
		return ""
	}
	return fmt.Sprintf(", $%d, $%d", first, first+1)
}

func versionArgs(key inbox.Key) []any {
	if key.Version == 0 {
		return nil
	}
	return []any{key.Order, key.Version}
}
