package forwarder_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/internal/testenv"
)

func TestLateCommitIsForwardedAndRollbackIsNot(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 3)
	pub := testenv.OutboxPublisher(t, outbox.Orders)
	startForwarder(t, db, dbURL, brokers, forwarder.Config{IdlePollInterval: 50 * time.Millisecond})

	// The first transaction takes its ID first and commits last; the
	// others write its shard (a writer blocks only its own shards).
	later, rolledBackOrder := keyInShard(t, outbox.Orders, "order-early", "later"), keyInShard(t, outbox.Orders, "order-early", "rolled-back")
	early, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = early.Rollback() }()
	if err := pub.Publish(context.Background(), &pgtx.UnitOfWork{Tx: early}, topic, newMessage(t, "order-early", 1)); err != nil {
		t.Fatal(err)
	}
	publish(t, db, pub, topic, newMessage(t, later, 1))
	rolledBack, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(context.Background(), &pgtx.UnitOfWork{Tx: rolledBack}, topic, newMessage(t, rolledBackOrder, 1)); err != nil {
		t.Fatal(err)
	}
	if err := rolledBack.Rollback(); err != nil {
		t.Fatal(err)
	}

	// While the early transaction is open, nothing after it is read.
	if got := readEvents(t, brokers, topic, 1, 500*time.Millisecond); len(got) != 0 {
		t.Fatalf("%d record(s) forwarded past an open transaction", len(got))
	}
	if err := early.Commit(); err != nil { // committed by hand: no wake-up, the forwarder polls
		t.Fatal(err)
	}

	if got := readEvents(t, brokers, topic, 2, 15*time.Second); len(got) < 2 {
		t.Fatalf("%d record(s) on Kafka after the late commit, want 2", len(got))
	}
	time.Sleep(300 * time.Millisecond) // anything more would show now
	records := readEvents(t, brokers, topic, 2, 0)
	got := map[string]int{}
	for _, r := range records {
		got[decode(t, r).Order]++
	}
	if len(records) != 2 || got["order-early"] != 1 || got[later] != 1 {
		t.Errorf("records by order = %v, want order-early and %s once each", got, later)
	}
}

func TestEventsOfEachOrderReachKafkaInVersionOrder(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 6)
	pub := testenv.OutboxPublisher(t, outbox.Orders)
	startForwarder(t, db, dbURL, brokers, forwarder.Config{IdlePollInterval: 50 * time.Millisecond, BatchSize: 50})

	const orders, versions = 40, 10
	want := map[string]int{}
	var wg sync.WaitGroup
	for i := range orders {
		id := fmt.Sprintf("order-%02d-%s", i, uuid.NewString()[:8])
		want[id] = versions
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := 1; v <= versions; v++ {
				publish(t, db, pub, topic, newMessage(t, id, v))
			}
		}()
	}
	wg.Wait()

	records := readEvents(t, brokers, topic, orders*versions, 30*time.Second)
	if dups := checkDelivery(t, records, want); dups != 0 {
		t.Errorf("%d duplicates with one forwarder and no failure", dups)
	}
}

func TestTwoForwardersForwardEachMessageOnceAndOneTakesOverFromTheOther(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 6)
	pub := testenv.OutboxPublisher(t, outbox.Orders)
	cfg := forwarder.Config{IdlePollInterval: 200 * time.Millisecond, BatchSize: 20}
	_, stopFirst := startForwarder(t, db, dbURL, brokers, cfg)
	startForwarder(t, db, dbURL, brokers, cfg)

	want := map[string]int{}
	write := func(orders, from, to int) {
		var wg sync.WaitGroup
		for i := range orders {
			id := fmt.Sprintf("order-%02d", i)
			want[id] = to
			wg.Add(1)
			go func() {
				defer wg.Done()
				for v := from; v <= to; v++ {
					publish(t, db, pub, topic, newMessage(t, id, v))
				}
			}()
		}
		wg.Wait()
	}
	write(30, 1, 20)
	records := readEvents(t, brokers, topic, 600, 30*time.Second)
	if dups := checkDelivery(t, records, want); dups != 0 {
		t.Errorf("normal case: %d duplicates with two forwarders", dups)
	}

	stopFirst()
	start := time.Now()
	write(30, 21, 25)
	records = readEvents(t, brokers, topic, 750, 30*time.Second)
	checkDelivery(t, records, want)
	// How fast it takes over is measured by internal/systemtest's
	// TestStandbyTakesOverAFrozenForwarder; here it must
	// only take over (readEvents' deadline).
	t.Logf("the remaining forwarder forwarded the rest %s after the first stopped", time.Since(start).Round(time.Millisecond))
}

func TestUnwrappableMessageIsDeadLetteredAndTheOthersContinue(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 1)
	pub := testenv.OutboxPublisher(t, outbox.Orders)

	shard := outbox.Orders.SQLTopic(outbox.ShardOf("order-1", outbox.Orders.Shards))
	publish(t, db, pub, topic, newMessage(t, "order-1", 1))
	if _, err := db.Exec(`INSERT INTO ` + outbox.MessagesTable(shard) + ` (uuid, payload, metadata, transaction_id)
		VALUES ('not-an-envelope', 'garbage', '{}', pg_current_xact_id())`); err != nil {
		t.Fatal(err)
	}
	publish(t, db, pub, topic, newMessage(t, "order-1", 2))
	startForwarder(t, db, dbURL, brokers, forwarder.Config{IdlePollInterval: 50 * time.Millisecond})

	records := readEvents(t, brokers, topic, 2, 15*time.Second)
	checkDelivery(t, records, map[string]int{"order-1": 2})
	var reason, sqlTopic string
	if err := db.QueryRow(`SELECT reason, sql_topic FROM outbox_dead_letters WHERE uuid = 'not-an-envelope'`).Scan(&reason, &sqlTopic); err != nil {
		t.Fatalf("dead letter: %v", err)
	}
	if sqlTopic != shard || reason == "" {
		t.Errorf("dead letter in %s because %q", sqlTopic, reason)
	}
}

func TestAWakeUpForwardsAtOnceWhenTheForwarderIsIdle(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 1)
	notifier, err := forwarder.NewNotifier(db, forwarder.NotifierConfig{Outbox: outbox.Orders}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := outbox.NewPublisher(outbox.PublisherConfig{Outbox: outbox.Orders, WakeUp: notifier.Wake}, nil)
	if err != nil {
		t.Fatal(err)
	}
	startForwarder(t, db, dbURL, brokers, forwarder.Config{IdlePollInterval: time.Minute})
	time.Sleep(500 * time.Millisecond) // idle: every shard waits

	// Only a wake-up brings a message within the minute: the bound is far
	// below the poll interval and far above what a loaded machine needs.
	for v := 1; v <= 5; v++ {
		start := time.Now()
		publish(t, db, pub, topic, newMessage(t, "order-1", v))
		readEvents(t, brokers, topic, v, 30*time.Second)
		if took := time.Since(start); took > 20*time.Second {
			t.Fatalf("message %d reached Kafka after %s; the poll interval is a minute", v, took)
		}
	}
}
