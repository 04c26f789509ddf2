package admin_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/internal/testenv"
)

func newMessage(t *testing.T, orderID string, version int) *message.Message {
	t.Helper()
	msg := message.NewMessage(uuid.NewString(), []byte(fmt.Sprintf(`{"order":%q,"version":%d}`, orderID, version)))
	msg.Metadata.Set(outbox.MetadataPartitionKey, orderID)
	return msg
}

// publish writes msgs to the outbox in a transaction of its own.
func publish(t *testing.T, db *sql.DB, pub *outbox.Publisher, topic string, msgs ...*message.Message) {
	t.Helper()
	err := pgtx.Do(context.Background(), db, func(uow *pgtx.UnitOfWork) error {
		return pub.Publish(context.Background(), uow, topic, msgs...)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestShardCountIsCheckedAndChangedOnlyWhenDrained(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := context.Background()
	four := outbox.Config{Name: outbox.Orders.Name, Shards: 4}

	if err := admin.CheckLayout(ctx, db, four, outbox.DefaultConsumerGroup); !errors.Is(err, admin.ErrLayoutMismatch) {
		t.Fatalf("CheckLayout with 4 shards: %v, want a mismatch", err)
	}
	publish(t, db, testenv.OutboxPublisher(t, outbox.Orders), "topic", newMessage(t, "order-1", 1))
	if err := admin.ChangeShards(ctx, db, four.Name, 4); err == nil {
		t.Fatal("ChangeShards with a message not forwarded: no error")
	}
	// Forward it by hand: move every position to the end.
	for _, shard := range outbox.Orders.SQLTopics() {
		if _, err := db.Exec(`UPDATE ` + outbox.OffsetsTable(shard) + ` o SET (last_processed_transaction_id, offset_acked) =
			(SELECT transaction_id, "offset" FROM ` + outbox.MessagesTable(shard) + ` ORDER BY 1 DESC, 2 DESC LIMIT 1)
			WHERE EXISTS (SELECT 1 FROM ` + outbox.MessagesTable(shard) + `)`); err != nil {
			t.Fatal(err)
		}
	}
	if err := admin.ChangeShards(ctx, db, four.Name, 4); err != nil {
		t.Fatalf("ChangeShards of a drained outbox: %v", err)
	}
	if err := admin.CheckLayout(ctx, db, four, outbox.DefaultConsumerGroup); err != nil {
		t.Errorf("CheckLayout after resharding: %v", err)
	}
	err := pgtx.Do(ctx, db, func(uow *pgtx.UnitOfWork) error {
		return testenv.OutboxPublisher(t, outbox.Orders).Publish(ctx, uow, "topic", newMessage(t, "order-1", 2))
	})
	if err == nil {
		t.Error("a writer with the old shard count could still write")
	}
}

func TestStalledShardIsReportedAndRepaired(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := context.Background()
	ob := testenv.OrdersOutboxWithShards(t, db, 8) // one shard missing its position, one restored
	pub := testenv.OutboxPublisher(t, ob)
	missing, restored := ob.SQLTopic(ob.Shards-1), ob.SQLTopic(ob.Shards-2)
	for i := range 20 {
		publish(t, db, pub, "topic", newMessage(t, fmt.Sprintf("order-%d", i), 1))
	}
	if _, err := db.Exec(`DELETE FROM ` + outbox.OffsetsTable(missing)); err != nil {
		t.Fatal(err)
	}
	// As after restoring a dump into a new cluster: rows and position ahead
	// of the transaction IDs.
	if _, err := db.Exec(`UPDATE ` + outbox.MessagesTable(restored) + ` SET transaction_id = (transaction_id::text::bigint + 1000000)::text::xid8`); err != nil {
		t.Fatal(err)
	}

	err := admin.CheckLayout(ctx, db, ob, outbox.DefaultConsumerGroup)
	if !errors.Is(err, admin.ErrStalled) {
		t.Fatalf("CheckLayout: %v, want stalled", err)
	}
	statuses, err := admin.Status(ctx, db, ob, outbox.DefaultConsumerGroup)
	if err != nil {
		t.Fatal(err)
	}
	stalled := map[string]bool{}
	for _, s := range statuses {
		stalled[s.SQLTopic] = s.Stalled
	}
	if !stalled[missing] || !stalled[restored] {
		t.Errorf("status: stalled = %v, want %s and %s", stalled, missing, restored)
	}
	done, err := admin.Repair(ctx, db, ob, outbox.DefaultConsumerGroup)
	if err != nil || len(done) != 2 {
		t.Fatalf("Repair: %v, %q", err, done)
	}
	if err := admin.CheckLayout(ctx, db, ob, outbox.DefaultConsumerGroup); err != nil {
		t.Errorf("CheckLayout after repair: %v", err)
	}
}

func TestRetentionDeletesOnlyOldForwardedRows(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := context.Background()
	ob := outbox.Orders
	shard := ob.SQLTopic(ob.Shards - 1)
	table := outbox.MessagesTable(shard)
	if _, err := db.Exec(`INSERT INTO ` + table + ` (uuid, payload, created_at, transaction_id)
		SELECT 'm' || i, 'x', now() - interval '2 hours' + i * interval '1 minute', pg_current_xact_id()
		FROM generate_series(1, 100) i`); err != nil {
		t.Fatal(err)
	}
	// Forwarded: the first 80 (80 minutes old down to 41).
	if _, err := db.Exec(`UPDATE ` + outbox.OffsetsTable(shard) + ` SET (last_processed_transaction_id, offset_acked) =
		(SELECT transaction_id, "offset" FROM ` + table + ` WHERE uuid = 'm80')`); err != nil {
		t.Fatal(err)
	}
	deleted, err := admin.DeleteForwarded(ctx, db, ob, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var left int
	if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&left); err != nil {
		t.Fatal(err)
	}
	// Older than an hour: m1..m60 (m60 by the time the delete runs); all forwarded.
	if deleted != 60 || left != 40 {
		t.Errorf("deleted %d, left %d; want 60 and 40", deleted, left)
	}
}

func TestDeadLettersAreListedLatestFirstWithTheirPayload(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := context.Background()
	frame, err := (outbox.Marshaler{}).Marshal(&outbox.Envelope{DestinationTopic: "orders.events", UUID: "m1", Payload: []byte(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, `
		INSERT INTO outbox_dead_letters (outbox, sql_topic, "offset", transaction_id, uuid, payload, reason)
		VALUES ('orders', 's', 1, '1', 'm1', $1, 'too large'), ('orders', 's', 2, '1', 'm2', 'garbage', 'not an envelope'),
			('payment', 's', 3, '1', 'm3', 'x', 'other outbox')`, frame)
	if err != nil {
		t.Fatal(err)
	}
	letters, err := admin.DeadLetters(ctx, db, "orders", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(letters) != 2 || letters[0].UUID != "m2" || string(letters[0].Payload) != "garbage" ||
		letters[1].Destination != "orders.events" || string(letters[1].Payload) != `{"a":1}` || letters[1].Reason != "too large" {
		t.Errorf("dead letters: %+v", letters)
	}
}

// TestReshardCountsALetterItsForwarderIsWriting has a forwarder's transaction
// dead-letter (hold) an order of the outbox while a reshard runs: the
// reshard waits for it under its lock, sees the held order and refuses,
// rather than go ahead with a letter it counted before it was committed.
func TestReshardCountsALetterItsForwarderIsWriting(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := context.Background()
	forwarder, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = forwarder.Rollback() }()
	if _, err := forwarder.ExecContext(ctx, `INSERT INTO outbox_dead_letters (outbox, sql_topic, "offset", transaction_id, uuid, reason, partition_key, status)
		VALUES ($1, $2, 1, '1'::xid8, $3, 'refused by the broker', 'order-held', 'held')`, outbox.Orders.Name, outbox.Orders.SQLTopic(0), uuid.NewString()); err != nil {
		t.Fatal(err)
	}

	resharded := make(chan error, 1)
	go func() { resharded <- admin.ChangeShards(ctx, db, outbox.Orders.Name, 2) }()
	select {
	case err := <-resharded:
		t.Fatalf("reshard ended before the forwarder's letter was committed: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	if err := forwarder.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-resharded:
		if err == nil || !strings.Contains(err.Error(), "held order") {
			t.Fatalf("reshard with an order held meanwhile: %v, want a refusal naming the held order", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("reshard still running 30s after the forwarder committed")
	}
}
