package systemtest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
)

// outboxWriter writes events of (order, version) into the orders outbox
// for the forwarder scenarios, as the API does: one transaction per version,
// and a wake-up of the forwarders after each commit. The payload has the
// fields of an event envelope that the checker reads.
type outboxWriter struct {
	h     *harness
	topic string
	pub   *outbox.Publisher

	mu        sync.Mutex
	committed map[string]int // order → last committed version
	attempts  atomic.Int64
}

func newOutboxWriter(h *harness) *outboxWriter {
	notifier, err := forwarder.NewNotifier(h.db, forwarder.NotifierConfig{Outbox: outbox.Orders}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	pub, err := outbox.NewPublisher(outbox.PublisherConfig{Outbox: outbox.Orders, WakeUp: notifier.Wake}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return &outboxWriter{h: h, topic: h.value("ORDERS_TOPIC"), pub: pub, committed: map[string]int{}}
}

// write commits one version of an order as message msgID.
func (w *outboxWriter) write(ctx context.Context, order string, version int, msgID string) error {
	w.attempts.Add(1)
	payload, _ := json.Marshal(envelopeOf{EventID: msgID, EventType: "Written", OrderID: order, Version: version})
	msg := message.NewMessage(msgID, payload)
	msg.Metadata.Set(outbox.MetadataPartitionKey, order)
	err := pgtx.Do(ctx, w.h.db, func(uow *pgtx.UnitOfWork) error {
		return w.pub.Publish(ctx, uow, w.topic, msg)
	})
	if err == nil {
		w.mu.Lock()
		w.committed[order] = version
		w.mu.Unlock()
	}
	return err
}

// writeUntil runs writers until ctx ends, each writing the versions of
// 25 orders of its own in turn; a failed write fails the test.
func (w *outboxWriter) writeUntil(ctx context.Context, writers int, pause time.Duration) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for n := range writers {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				order := fmt.Sprintf("w%d-order-%d", n, i%25)
				w.mu.Lock()
				v := w.committed[order] + 1
				w.mu.Unlock()
				// A write that started finishes: stopping the writers must
				// not leave a version half-written.
				if err := w.write(context.WithoutCancel(ctx), order, v, uuid.NewString()); err != nil {
					w.h.t.Errorf("write %s v%d: %v", order, v, err)
					return
				}
				time.Sleep(pause)
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	return done
}

// check waits until every committed version is on Kafka (or within
// passed) and checks what the forwarders delivered (checkForwarded).
func (w *outboxWriter) check(within time.Duration) deliveries {
	w.h.t.Helper()
	w.mu.Lock()
	committed := make(map[string]int, len(w.committed))
	for k, v := range w.committed {
		committed[k] = v
	}
	w.mu.Unlock()
	d := checkForwarded(w.h.t, w.h.brokers, w.topic, committed, within)
	w.h.t.Logf("write attempts: %d", w.attempts.Load())
	return d
}
