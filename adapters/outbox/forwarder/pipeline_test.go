package forwarder

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/outbox"
)

// fakeBroker is an asyncPublisher whose answers the test gives.
type fakeBroker struct {
	mu      sync.Mutex
	pending []func(error) // answers not given yet, in send order
	sent    []string      // UUIDs handed over asynchronously
	synced  []string      // UUIDs published synchronously
	syncErr error
}

func (b *fakeBroker) PublishAsync(_ string, msg *message.Message, acked func(error)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sent = append(b.sent, msg.UUID)
	b.pending = append(b.pending, acked)
	return nil
}

func (b *fakeBroker) Publish(_ string, msgs ...*message.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.syncErr != nil {
		return b.syncErr
	}
	for _, m := range msgs {
		b.synced = append(b.synced, m.UUID)
	}
	return nil
}

func (b *fakeBroker) Close() error { return nil }

// answer answers the i-th send.
func (b *fakeBroker) answer(i int, err error) {
	b.mu.Lock()
	acked := b.pending[i]
	b.mu.Unlock()
	acked(err)
}

func (b *fakeBroker) sentUUIDs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.sent...)
}

func keyed(uuid, key string) *message.Message {
	msg := message.NewMessage(uuid, nil)
	if key != "" {
		msg.Metadata.Set(outbox.MetadataPartitionKey, key)
	}
	return msg
}

// sentEventually waits until the broker got n records and returns them.
func sentEventually(t *testing.T, b *fakeBroker, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := b.sentUUIDs()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPipelineKeepsOneEventPerOrderInFlight(t *testing.T) {
	broker := &fakeBroker{}
	p := newPipeline(broker, observer{})
	// a2 and a3 wait for a1, however long the broker takes; the other
	// orders' events do not wait for them.
	for _, msg := range []*message.Message{keyed("a1", "a"), keyed("b1", "b"), keyed("a2", "a"), keyed("a3", "a"), keyed("c1", "c"), keyed("n1", "")} {
		if err := p.Publish("topic", msg); err != nil {
			t.Fatal(err)
		}
	}
	if got := sentEventually(t, broker, 4); !slices.Equal(got, []string{"a1", "b1", "c1", "n1"}) {
		t.Fatalf("sent %v, want a1 b1 c1 n1: a2 and a3 wait for a1, nothing waits for them", got)
	}
	broker.answer(1, nil) // b1
	if got := sentEventually(t, broker, 5); len(got) != 4 {
		t.Fatalf("sent %v when b1, not a1, was acknowledged", got)
	}
	broker.answer(0, nil) // a1
	if got := sentEventually(t, broker, 5); len(got) != 5 || got[4] != "a2" {
		t.Fatalf("sent %v, want a2 once a1 was acknowledged", got)
	}
	if got := sentEventually(t, broker, 6); len(got) != 5 {
		t.Fatalf("sent %v: a3 went while a2 was in flight", got)
	}
	barrierDone := make(chan error, 1)
	go func() { barrierDone <- p.barrier() }()
	for _, i := range []int{2, 3, 4} { // c1, n1, a2
		select {
		case err := <-barrierDone:
			t.Fatalf("barrier returned (%v) with records in flight or queued", err)
		case <-time.After(50 * time.Millisecond):
		}
		broker.answer(i, nil)
	}
	if got := sentEventually(t, broker, 6); len(got) != 6 || got[5] != "a3" {
		t.Fatalf("sent %v, want a3 once a2 was acknowledged", got)
	}
	select {
	case err := <-barrierDone:
		t.Fatalf("barrier returned (%v) with a3 in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	broker.answer(5, nil)
	if err := <-barrierDone; err != nil {
		t.Fatalf("barrier: %v", err)
	}
}

func TestPipelineAfterAFailureSendsNothingMoreAndFailsTheBatch(t *testing.T) {
	broker := &fakeBroker{}
	p := newPipeline(broker, observer{})
	if err := p.Publish("topic", keyed("a1", "a")); err != nil {
		t.Fatal(err)
	}
	if err := p.Publish("topic", keyed("a2", "a")); err != nil { // queued behind a1
		t.Fatal(err)
	}
	refused := errors.New("broker refused")
	broker.answer(0, refused) // a2 is dropped, never sent
	if err := p.Publish("topic", keyed("b1", "b")); err != nil {
		t.Fatal(err)
	}
	if err := p.barrier(); !errors.Is(err, refused) {
		t.Fatalf("barrier = %v, want the broker's error", err)
	}
	if got := broker.sentUUIDs(); len(got) != 1 {
		t.Fatalf("sent %v after the failure, want only a1", got)
	}
	if err := p.takeFailure(); !errors.Is(err, refused) {
		t.Fatalf("takeFailure = %v, want the broker's error", err)
	}
	if err := p.takeFailure(); err != nil {
		t.Fatalf("takeFailure again = %v, want nil", err)
	}

	// The batch read again goes one message at a time, synchronously.
	broker.syncErr = errors.New("still down")
	if err := p.Publish("topic", keyed("a1", "a")); err == nil {
		t.Fatal("sequential publish hid the broker's error")
	}
	broker.syncErr = nil
	for _, id := range []string{"a1", "a2", "b1"} {
		if err := p.Publish("topic", keyed(id, id[:1])); err != nil {
			t.Fatal(err)
		}
	}
	if len(broker.synced) != 3 || len(broker.sentUUIDs()) != 1 {
		t.Fatalf("synced %v, sent %v: want the batch synchronously", broker.synced, broker.sentUUIDs())
	}
	if err := p.barrier(); err != nil {
		t.Fatalf("barrier after the sequential batch: %v", err)
	}
	// Then the pipeline is back.
	if err := p.Publish("topic", keyed("c1", "c")); err != nil {
		t.Fatal(err)
	}
	if got := broker.sentUUIDs(); len(got) != 2 || got[1] != "c1" {
		t.Fatalf("sent %v, want c1 sent asynchronously", got)
	}
}

func TestOffsetsAdapterFailsTheAckQueryWhenTheBarrierFails(t *testing.T) {
	a := offsetsAdapter{beforeAck: func() error { return errors.New("not acknowledged") }}
	if q := a.AckMessageQuery("t", rowAt(7), "g"); q.Query != batchNotAcknowledgedQuery {
		t.Fatalf("ack query = %q, want the failing one", q.Query)
	}
	a.beforeAck = func() error { return nil }
	if q := a.AckMessageQuery("t", rowAt(7), "g"); q.Query == batchNotAcknowledgedQuery {
		t.Fatal("ack query fails although the broker acknowledged everything")
	}
}

func rowAt(offset int64) watermillsql.Row {
	return watermillsql.Row{Offset: offset, ExtraData: map[string]any{"transaction_id": int64(1)}}
}
