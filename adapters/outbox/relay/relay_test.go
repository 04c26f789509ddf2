package relay_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/relay"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/internal/testenv"
)

// event is the payload of the test messages: an order's version.
type event struct {
	Order   string `json:"order"`
	Version int    `json:"version"`
}

func newMessage(t *testing.T, orderID string, version int) *message.Message {
	t.Helper()
	payload, err := json.Marshal(event{Order: orderID, Version: version})
	if err != nil {
		t.Fatal(err)
	}
	msg := message.NewMessage(uuid.NewString(), payload)
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

// startForwarder runs a forwarder of the orders outbox until the test ends
// or stop is called.
func startForwarder(t *testing.T, db *sql.DB, dbURL string, brokers []string, cfg relay.Config) (fwd *relay.Relay, stop func()) {
	t.Helper()
	publisher, err := kafka.NewPublisher(brokers, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Outbox = outbox.Orders
	cfg.ListenURL = dbURL
	cfg.Publisher = publisher
	fwd, err = relay.NewRelay(db, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fwd.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("forwarder: %v", err)
			}
			_ = publisher.Close()
		})
	}
	t.Cleanup(stop)
	return fwd, stop
}

// readEvents reads the topic until it holds want records or the deadline.
func readEvents(t *testing.T, brokers []string, topic string, want int, within time.Duration) []kafka.Record {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var records []kafka.Record
		err := kafka.ReadTopic(ctx, brokers, topic, false, func(r kafka.Record) error {
			records = append(records, r)
			return nil
		})
		cancel()
		if err != nil {
			t.Fatalf("read %s: %v", topic, err)
		}
		if len(records) >= want || time.Now().After(deadline) {
			return records
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func decode(t *testing.T, r kafka.Record) event {
	t.Helper()
	var e event
	if err := json.Unmarshal(r.Value, &e); err != nil {
		t.Fatalf("record %d/%d: %v", r.Partition, r.Offset, err)
	}
	return e
}

// checkDelivery reports lost messages and per-order inversions among
// records, and returns the number of duplicates.
func checkDelivery(t *testing.T, records []kafka.Record, versions map[string]int) (duplicates int) {
	t.Helper()
	seen := map[event]int{}
	last := map[string]int{}
	partition := map[string]int32{}
	for _, r := range records {
		e := decode(t, r)
		if r.Key != e.Order {
			t.Errorf("record of order %s has key %q", e.Order, r.Key)
		}
		if p, ok := partition[e.Order]; ok && p != r.Partition {
			t.Errorf("order %s on partitions %d and %d", e.Order, p, r.Partition)
		}
		partition[e.Order] = r.Partition
		seen[e]++
		if seen[e] > 1 {
			duplicates++
			continue // a redelivery may repeat older versions
		}
		if e.Version != last[e.Order]+1 {
			t.Errorf("order %s: version %d after %d", e.Order, e.Version, last[e.Order])
		}
		last[e.Order] = e.Version
	}
	for order, n := range versions {
		if last[order] != n {
			t.Errorf("order %s: last version on Kafka %d, want %d", order, last[order], n)
		}
	}
	return duplicates
}

func TestLateCommitIsForwardedAndRollbackIsNot(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 3)
	pub := testenv.OutboxPublisher(t, outbox.Orders)
	startForwarder(t, db, dbURL, brokers, relay.Config{IdlePollInterval: 50 * time.Millisecond})

	// The first transaction takes its ID first and commits last.
	early, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = early.Rollback() }()
	if err := pub.Publish(context.Background(), &pgtx.UnitOfWork{Tx: early}, topic, newMessage(t, "order-early", 1)); err != nil {
		t.Fatal(err)
	}
	publish(t, db, pub, topic, newMessage(t, "order-later", 1))
	rolledBack, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(context.Background(), &pgtx.UnitOfWork{Tx: rolledBack}, topic, newMessage(t, "order-rolled-back", 1)); err != nil {
		t.Fatal(err)
	}
	if err := rolledBack.Rollback(); err != nil {
		t.Fatal(err)
	}

	// While the early transaction is open, nothing after it is read.
	if got := readEvents(t, brokers, topic, 1, 500*time.Millisecond); len(got) != 0 {
		t.Fatalf("%d record(s) forwarded past an open transaction", len(got))
	}
	if err := early.Commit(); err != nil { // committed by hand: no wake-up, the relay polls
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
	if len(records) != 2 || got["order-early"] != 1 || got["order-later"] != 1 {
		t.Errorf("records by order = %v, want order-early and order-later once each", got)
	}
}

func TestEventsOfEachOrderReachKafkaInVersionOrder(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 6)
	pub := testenv.OutboxPublisher(t, outbox.Orders)
	startForwarder(t, db, dbURL, brokers, relay.Config{IdlePollInterval: 50 * time.Millisecond, BatchSize: 50})

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
	cfg := relay.Config{IdlePollInterval: 200 * time.Millisecond, BatchSize: 20}
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
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the remaining forwarder took %s to forward the rest", took)
	}
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
	startForwarder(t, db, dbURL, brokers, relay.Config{IdlePollInterval: 50 * time.Millisecond})

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
	notifier, err := relay.NewNotifier(db, relay.NotifierConfig{Outbox: outbox.Orders}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := outbox.NewPublisher(outbox.PublisherConfig{Outbox: outbox.Orders, WakeUp: notifier.Wake}, nil)
	if err != nil {
		t.Fatal(err)
	}
	startForwarder(t, db, dbURL, brokers, relay.Config{IdlePollInterval: time.Minute})
	time.Sleep(500 * time.Millisecond) // idle: every shard waits

	for v := 1; v <= 5; v++ {
		start := time.Now()
		publish(t, db, pub, topic, newMessage(t, "order-1", v))
		readEvents(t, brokers, topic, v, 5*time.Second)
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("message %d reached Kafka after %s; the poll interval is a minute", v, took)
		}
	}
}
