package forwarder_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/internal/testenv"
)

// silentProducer takes records and never answers them, as Sarama's
// idempotent producer was seen to do after Kafka's brokers restarted
// (make chaos, "mixed": a shard's forwarders waited for ever).
type silentProducer struct{ closed chan struct{} }

func (s *silentProducer) PublishAsync(string, *message.Message, func(error)) error { return nil }

func (s *silentProducer) Publish(string, ...*message.Message) error {
	<-s.closed // a synchronous send waits as long as the producer lives
	return nil
}

func (s *silentProducer) Close() error {
	close(s.closed)
	return nil
}

// TestAShardWhoseProducerFallsSilentMovesOnWithANewOne gives the first
// shard's forwarder a producer that never answers: the forwarder must give up on
// it after the ack deadline, fail the batch and send it again with a new
// producer, instead of waiting for ever with the shard in its hands.
func TestAShardWhoseProducerFallsSilentMovesOnWithANewOne(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	box := testenv.OrdersOutboxWithShards(t, db, 8) // two silent shards among healthy ones
	pub := testenv.OutboxPublisher(t, box)
	const orders, versions = 24, 4
	want := map[string]int{}
	for i := range orders {
		id := fmt.Sprintf("order-%02d-%s", i, uuid.NewString()[:8])
		want[id] = versions
		for v := 1; v <= versions; v++ {
			publish(t, db, pub, "events", newMessage(t, id, v))
		}
	}

	healthy := &flakyBroker{}
	var (
		mu      sync.Mutex
		created int
		silent  []*silentProducer
	)
	fwd, err := forwarder.New(db, forwarder.Config{
		Outbox: box, BatchSize: 10, IdlePollInterval: 20 * time.Millisecond,
		AckDeadline: time.Second, RetryMin: time.Millisecond, RetryMax: 10 * time.Millisecond,
		PublisherPerShard: func() (message.Publisher, error) {
			mu.Lock()
			defer mu.Unlock()
			created++
			if created <= 2 { // shards 0 and 1 start with a silent producer
				s := &silentProducer{closed: make(chan struct{})}
				silent = append(silent, s)
				return s, nil
			}
			return sharedPublisher{healthy}, nil
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fwd.Run(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for !complete(healthy.written(), want) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("forwarder: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("the forwarder did not stop within 30s of its context's end")
	}

	seen := map[event]bool{}
	last := map[string]int{}
	for _, e := range healthy.written() {
		if seen[e] {
			continue // a batch sent again may repeat older versions
		}
		seen[e] = true
		if e.Version != last[e.Order]+1 {
			t.Errorf("order %s: version %d first arrived after %d", e.Order, e.Version, last[e.Order])
		}
		last[e.Order] = e.Version
	}
	for id, n := range want {
		if last[id] != n {
			t.Errorf("order %s (shard %d): last version %d, want %d", id, outbox.ShardOf(id, box.Shards), last[id], n)
		}
	}
}

// sharedPublisher lets several shards write into one flakyBroker; closing
// it closes nothing (the broker outlives the forwarder's publishers).
type sharedPublisher struct{ *flakyBroker }

func (sharedPublisher) Close() error { return nil }

func complete(written []event, want map[string]int) bool {
	last := map[string]int{}
	for _, e := range written {
		last[e.Order] = max(last[e.Order], e.Version)
	}
	for id, n := range want {
		if last[id] != n {
			return false
		}
	}
	return true
}
