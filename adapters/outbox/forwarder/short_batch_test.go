package forwarder_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/internal/testenv"
)

// TestAShortBatchIsNotFollowedByAQuery: a batch shorter than the batch
// size read everything there was, so the forwarder waits for a wake-up (or
// its idle poll, an hour here) instead of querying again at once and
// finding nothing; after a full batch it queries again at once. Counted
// from pg_stat_statements.
func TestAShortBatchIsNotFollowedByAQuery(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 3)
	pub := testenv.OutboxPublisher(t, outbox.Orders)
	const batch = 10
	publish(t, db, pub, topic, newMessage(t, "order-1", 1), newMessage(t, "order-2", 1), newMessage(t, "order-3", 1))

	publisher, err := kafka.NewPublisher(brokers, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = publisher.Close() }()
	// No ListenURL: the LISTEN's wake-up at its start would add a query.
	fwd, err := forwarder.New(db, forwarder.Config{Outbox: outbox.Orders, Publisher: publisher, BatchSize: batch, IdlePollInterval: time.Hour}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fwd.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("forwarder: %v", err)
		}
	}()

	// The select's own text, not the stall watcher's or the state probe's.
	selects := func() int64 {
		return testenv.StatementCalls(t, db, `SELECT "offset", transaction_id, uuid, payload, metadata, created_at`)
	}
	settled := func(records int, want int64) {
		t.Helper()
		if got := readEvents(t, brokers, topic, records, 30*time.Second); len(got) < records {
			t.Fatalf("%d record(s) on Kafka, want %d", len(got), records)
		}
		time.Sleep(500 * time.Millisecond) // a query that follows would have run by now
		if got := selects(); got != want {
			t.Errorf("%d select(s) after %d records, want %d", got, records, want)
		}
	}
	settled(3, 1) // three rows of ten: nothing more to read

	// A full batch and two rows: the query after the full batch runs at
	// once and finds the two, and none follows them.
	var msgs []*message.Message
	for i := range batch + 2 {
		msgs = append(msgs, newMessage(t, fmt.Sprintf("order-%d", 4+i), 1))
	}
	publish(t, db, pub, topic, msgs...)
	fwd.Wake()
	settled(3+batch+2, 3)
}
