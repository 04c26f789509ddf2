package forwarder_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/internal/testenv"
)

// The forwarder's barrier is the oldest transaction that announced itself as
// a writer of the shard, not the cluster's xmin. These tests hold
// transactions open only as long as they need to: any transaction with an
// ID holds back the xmin of the whole (shared) cluster.

// holdXID begins a transaction on db that takes a transaction ID and
// writes no outbox, and returns it with its ID.
func holdXID(t *testing.T, db *sql.DB) (*sql.Tx, string) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	var xid string
	if err := tx.QueryRow(`SELECT pg_current_xact_id()::text`).Scan(&xid); err != nil {
		t.Fatal(err)
	}
	return tx, xid
}

// stillOpen fails the test unless tx is the transaction xid, still open.
func stillOpen(t *testing.T, tx *sql.Tx, xid, what string) {
	t.Helper()
	var now string
	if err := tx.QueryRow(`SELECT pg_current_xact_id()::text`).Scan(&now); err != nil || now != xid {
		t.Errorf("%s: transaction %s, error %v; want %s still open", what, now, err, xid)
	}
}

func TestTransactionsThatWriteNoOutboxHoldNothingBack(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 1)
	pub := testenv.OutboxPublisher(t, outbox.Orders)
	other, err := postgres.Open(context.Background(), testenv.URLFor("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })

	elsewhere, elsewhereXID := holdXID(t, other) // idle in transaction, another database
	here, hereXID := holdXID(t, db)              // idle in transaction, the outbox's database
	running, runningXID := holdXID(t, db)        // running a statement
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _, _ = running.ExecContext(ctx, `SELECT pg_sleep(60)`) }()

	startForwarder(t, db, dbURL, brokers, forwarder.Config{IdlePollInterval: 50 * time.Millisecond})
	publish(t, db, pub, topic, newMessage(t, "order-1", 1))
	if got := readEvents(t, brokers, topic, 1, 20*time.Second); len(got) != 1 {
		t.Fatalf("%d records on Kafka while transactions that write no outbox are open, want 1", len(got))
	}
	stillOpen(t, elsewhere, elsewhereXID, "the transaction in database postgres")
	stillOpen(t, here, hereXID, "the idle transaction in the outbox's database")
	cancel() // the sleep ends with an error; the transaction was open until now
	if runningXID == "" {
		t.Error("the running transaction had no ID")
	}
}

func TestALongWriterHoldsBackOnlyItsShard(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 1)
	box := testenv.OrdersOutboxWithShards(t, db, 8) // two orders in two shards
	pub := testenv.OutboxPublisher(t, box)
	orderA, laterA := "order-a", keyInShard(t, box, "order-a", "later-a")
	orderB := "order-b"
	if outbox.ShardOf(orderB, box.Shards) == outbox.ShardOf(orderA, box.Shards) {
		t.Fatal("order-a and order-b share a shard; pick another key")
	}
	startForwarder(t, db, dbURL, brokers, forwarder.Config{Outbox: box, IdlePollInterval: 50 * time.Millisecond})

	long, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = long.Rollback() }()
	uow := &pgtx.UnitOfWork{Tx: long}
	ctx := context.Background()
	if err := pub.Announce(ctx, uow, orderA); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, uow, topic, newMessage(t, orderA, 1)); err != nil {
		t.Fatal(err)
	}
	publish(t, db, pub, topic, newMessage(t, laterA, 1)) // shard A, a later ID
	publish(t, db, pub, topic, newMessage(t, orderB, 1)) // shard B

	records := readEvents(t, brokers, topic, 1, 20*time.Second)
	time.Sleep(500 * time.Millisecond) // laterA would show now if the barrier let it pass
	records = readEvents(t, brokers, topic, len(records), 0)
	if len(records) != 1 || decode(t, records[0]).Order != orderB {
		t.Fatalf("while shard A's writer is open, Kafka has %d records (first %v), want shard B's one", len(records), orderOf(t, records))
	}
	if err := long.Commit(); err != nil {
		t.Fatal(err)
	}
	records = readEvents(t, brokers, topic, 3, 20*time.Second)
	if got := orderOf(t, records); len(got) != 3 || got[1] != orderA || got[2] != laterA {
		t.Errorf("records by order %v, want %s, then %s before %s (transaction order)", got, orderB, orderA, laterA)
	}
}

func orderOf(t *testing.T, records []kafka.Record) []string {
	t.Helper()
	orders := make([]string, 0, len(records))
	for _, r := range records {
		orders = append(orders, decode(t, r).Order)
	}
	return orders
}

// TestAWriterThatWroteBeforeAnnouncingCannotPublish forces the race: a
// transaction takes its ID with a business write, a later writer of the
// same shard commits and the forwarder delivers it (so the forwarder is past the
// first transaction's ID), and only then does the first transaction
// publish. Its row would never be read; the publisher refuses it instead,
// and so does the insert of a writer that does not announce itself.
func TestAWriterThatWroteBeforeAnnouncingCannotPublish(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 1)
	pub := testenv.OutboxPublisher(t, outbox.Orders)
	ctx := context.Background()
	if _, err := db.Exec(`CREATE TABLE business (n int)`); err != nil {
		t.Fatal(err)
	}
	startForwarder(t, db, dbURL, brokers, forwarder.Config{IdlePollInterval: 50 * time.Millisecond})

	late, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = late.Rollback() }()
	if _, err := late.Exec(`INSERT INTO business VALUES (1)`); err != nil { // takes the ID
		t.Fatal(err)
	}
	publish(t, db, pub, topic, newMessage(t, keyInShard(t, outbox.Orders, "order-late", "later"), 1))
	if got := readEvents(t, brokers, topic, 1, 20*time.Second); len(got) != 1 {
		t.Fatalf("%d records; the later writer's row should pass the unannounced transaction", len(got))
	}
	err = pub.Publish(ctx, &pgtx.UnitOfWork{Tx: late}, topic, newMessage(t, "order-late", 1))
	if !errors.Is(err, outbox.ErrNotAnnounced) {
		t.Errorf("publish after a business write without Announce = %v, want ErrNotAnnounced", err)
	}
	_ = late.Rollback()

	// A writer through watermill-sql's publisher (the forwarder's own insert)
	// fails the same way.
	plain, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = plain.Rollback() }()
	if _, err := plain.Exec(`INSERT INTO business VALUES (2)`); err != nil {
		t.Fatal(err)
	}
	if err := forwarder.InsertForTest(ctx, plain, outbox.Orders.SQLTopic(0), newMessage(t, "x", 1)); err == nil {
		t.Error("the locking insert took a transaction that had written before it")
	}
}
