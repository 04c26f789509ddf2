package forwarder_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
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

// keyInShard returns a partition key, prefix-n, in the shard of key of
// the outbox box.
func keyInShard(t *testing.T, box outbox.Config, key, prefix string) string {
	t.Helper()
	want := outbox.ShardOf(key, box.Shards)
	for n := 0; n < 10000; n++ {
		if k := fmt.Sprintf("%s-%d", prefix, n); outbox.ShardOf(k, box.Shards) == want {
			return k
		}
	}
	t.Fatalf("no key %s-n in shard %d", prefix, want)
	return ""
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

// startForwarder runs a forwarder of cfg.Outbox, by default the orders
// outbox of a new database, until the test ends or stop is called.
func startForwarder(t *testing.T, db *sql.DB, dbURL string, brokers []string, cfg forwarder.Config) (fwd *forwarder.Forwarder, stop func()) {
	t.Helper()
	return startLoggingForwarder(t, db, dbURL, brokers, cfg, nil)
}

// startLoggingForwarder is startForwarder logging to logger.
func startLoggingForwarder(t *testing.T, db *sql.DB, dbURL string, brokers []string, cfg forwarder.Config, logger watermill.LoggerAdapter) (fwd *forwarder.Forwarder, stop func()) {
	t.Helper()
	publisher, err := kafka.NewPublisher(brokers, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Outbox.Name == "" {
		cfg.Outbox = outbox.Orders
	}
	cfg.ListenURL = dbURL
	cfg.Publisher = publisher
	fwd, err = forwarder.New(db, cfg, logger)
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
