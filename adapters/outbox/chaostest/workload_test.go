//go:build chaos

package chaostest

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/relay"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
)

// writeOrders writes s.orders orders of s.versions versions each, from 20
// writers, as the API does: one transaction per version, and a wake-up
// after each commit. A version whose commit failed is written again (it
// may then appear twice on Kafka, never be missing).
func (h *harness) writeOrders(s scale) <-chan struct{} {
	notifier, err := relay.NewNotifier(h.db, relay.NotifierConfig{Outbox: outbox.Orders}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	pub, err := outbox.NewPublisher(outbox.PublisherConfig{Outbox: outbox.Orders, WakeUp: notifier.Wake}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	ids := make(chan string)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				for v := 1; v <= s.versions; v++ {
					h.writeVersion(pub, id, v)
					time.Sleep(s.rate)
				}
			}
		}()
	}
	go func() {
		for range s.orders {
			ids <- uuid.NewString()
		}
		close(ids)
		wg.Wait()
		close(done)
	}()
	return done
}

func (h *harness) writeVersion(pub *outbox.Publisher, id string, version int) {
	payload, _ := json.Marshal(map[string]any{"order": id, "version": version})
	msgID := uuid.NewString()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		h.attempts.Add(1)
		err := h.tryWrite(pub, id, msgID, payload)
		if err == nil {
			h.mu.Lock()
			h.want[id] = version
			h.mu.Unlock()
			return
		}
		if time.Now().After(deadline) {
			h.t.Errorf("order %s version %d: not written within 2 minutes: %v", id, version, err)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (h *harness) tryWrite(pub *outbox.Publisher, id, msgID string, payload []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg := message.NewMessage(msgID, payload)
	msg.Metadata.Set(outbox.MetadataPartitionKey, id)
	return pgtx.Do(ctx, h.db, func(uow *pgtx.UnitOfWork) error {
		return pub.Publish(ctx, uow, h.topic, msg)
	})
}

// check waits until every committed version is on Kafka, then reports
// losses and per-order inversions as failures and duplicates in the log.
func (h *harness) check(within time.Duration) {
	h.t.Helper()
	h.mu.Lock()
	want := make(map[string]int, len(h.want))
	total := 0
	for k, v := range h.want {
		want[k] = v
		total += v
	}
	h.mu.Unlock()

	type event struct {
		Order   string `json:"order"`
		Version int    `json:"version"`
	}
	deadline := time.Now().Add(within)
	var (
		seen       map[event]int
		duplicates int
		records    int
	)
	for {
		seen, duplicates, records = map[event]int{}, 0, 0
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := kafka.ReadTopic(ctx, h.brokers, h.topic, false, func(r kafka.Record) error {
			var e event
			if err := json.Unmarshal(r.Value, &e); err != nil {
				return err
			}
			records++
			seen[e]++
			if seen[e] > 1 {
				duplicates++
			}
			return nil
		})
		cancel()
		if err != nil {
			h.t.Fatalf("read %s: %v", h.topic, err)
		}
		if len(seen) >= total || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}

	// Lost: a committed version missing. Order: the first delivery of each
	// version comes after the first delivery of the one before (checked by
	// reading again in Kafka order).
	lost := 0
	for order, last := range want {
		for v := 1; v <= last; v++ {
			if seen[event{order, v}] == 0 {
				lost++
			}
		}
	}
	first := map[string]int{}
	firstSeen := map[event]bool{}
	inversions := 0
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := kafka.ReadTopic(ctx, h.brokers, h.topic, false, func(r kafka.Record) error {
		var e event
		if err := json.Unmarshal(r.Value, &e); err != nil {
			return err
		}
		if firstSeen[e] {
			return nil
		}
		firstSeen[e] = true
		if e.Version != first[e.Order]+1 {
			inversions++
		}
		first[e.Order] = e.Version
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Logf("orders: %d, committed events: %d (write attempts %d), records on Kafka: %d, distinct: %d, duplicates: %d, lost: %d, per-order inversions: %d",
		len(want), total, h.attempts.Load(), records, len(seen), duplicates, lost, inversions)
	if lost > 0 {
		h.t.Errorf("%d committed events never reached Kafka", lost)
	}
	if inversions > 0 {
		h.t.Errorf("%d events reached Kafka before an earlier version of their order", inversions)
	}
	if len(seen) > total {
		h.t.Logf("%d events on Kafka whose commit reported an error (the commit had gone through)", len(seen)-total)
	}
}
