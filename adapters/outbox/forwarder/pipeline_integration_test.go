package forwarder_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/internal/testenv"
)

// flakyBroker is an in-memory broker that can send asynchronously that
// answers asynchronously after a random delay and refuses a share of the
// records, in the worst way a producer may: a later record of the same
// partition can still be written after an earlier one failed.
type flakyBroker struct {
	failRate float64

	mu      sync.Mutex
	log     []event // written records, in order
	refused int
	wg      sync.WaitGroup
}

var errRefused = errors.New("flaky broker refused the record")

func (b *flakyBroker) fail() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if rand.Float64() < b.failRate {
		b.refused++
		return true
	}
	return false
}

func (b *flakyBroker) write(msg *message.Message) error {
	var e event
	if err := json.Unmarshal(msg.Payload, &e); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.log = append(b.log, e)
	return nil
}

func (b *flakyBroker) PublishAsync(_ string, msg *message.Message, acked func(error)) error {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		if b.fail() {
			acked(errRefused)
			return
		}
		acked(b.write(msg))
	}()
	return nil
}

func (b *flakyBroker) Publish(_ string, msgs ...*message.Message) error {
	for _, msg := range msgs {
		if b.fail() {
			return errRefused
		}
		if err := b.write(msg); err != nil {
			return err
		}
	}
	return nil
}

func (b *flakyBroker) Close() error {
	b.wg.Wait()
	return nil
}

func (b *flakyBroker) written() []event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]event(nil), b.log...)
}

// TestABrokerThatFailsRecordsLosesNothingAndKeepsEachOrdersOrder forwards
// orders whose versions share batches through a broker that refuses 2% of
// the records at random, answering out of order: every version arrives,
// and the first arrival of each version of an order is in version order.
func TestABrokerThatFailsRecordsLosesNothingAndKeepsEachOrdersOrder(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	pub := testenv.OutboxPublisher(t, outbox.Orders)
	const orders, versions = 30, 20
	want := map[string]int{}
	var wg sync.WaitGroup
	for i := range orders {
		id := fmt.Sprintf("order-%02d-%s", i, uuid.NewString()[:8])
		want[id] = versions
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := 1; v <= versions; v += 2 { // two versions per transaction
				publish(t, db, pub, "events", newMessage(t, id, v), newMessage(t, id, v+1))
			}
		}()
	}
	wg.Wait()

	broker := &flakyBroker{failRate: 0.02}
	fwd, err := forwarder.New(db, forwarder.Config{
		Outbox: outbox.Orders, Publisher: broker, BatchSize: 25, IdlePollInterval: 20 * time.Millisecond,
		RetryMin: time.Millisecond, RetryMax: 10 * time.Millisecond,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fwd.Run(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		last := map[string]int{}
		for _, e := range broker.written() {
			last[e.Order] = max(last[e.Order], e.Version)
		}
		complete := len(last) == orders
		for _, v := range last {
			complete = complete && v == versions
		}
		if complete || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // let the last batch's position commit
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("forwarder: %v", err)
	}

	seen := map[event]bool{}
	last := map[string]int{}
	duplicates := 0
	for _, e := range broker.written() {
		if seen[e] {
			duplicates++
			continue
		}
		seen[e] = true
		if e.Version != last[e.Order]+1 {
			t.Errorf("order %s: version %d first arrived after %d", e.Order, e.Version, last[e.Order])
		}
		last[e.Order] = e.Version
	}
	for id, n := range want {
		if last[id] != n {
			t.Errorf("order %s: last version %d, want %d", id, last[id], n)
		}
	}
	broker.mu.Lock()
	refused := broker.refused
	broker.mu.Unlock()
	if refused == 0 {
		t.Error("the broker refused nothing: the test tested nothing")
	}
	t.Logf("%d records refused, %d duplicates", refused, duplicates)
}
