package forwarder

import (
	"errors"
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

// publishInBackground publishes msg and returns a channel closed when
// Publish returned.
func publishInBackground(t *testing.T, p *pipeline, msg *message.Message) <-chan struct{} {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := p.Publish("topic", msg); err != nil {
			t.Errorf("publish %s: %v", msg.UUID, err)
		}
	}()
	return done
}

func blocked(done <-chan struct{}) bool {
	select {
	case <-done:
		return false
	case <-time.After(50 * time.Millisecond):
		return true
	}
}

func TestPipelineKeepsOneEventPerOrderInFlight(t *testing.T) {
	broker := &fakeBroker{}
	p := newPipeline(broker, observer{})
	for _, msg := range []*message.Message{keyed("a1", "a"), keyed("b1", "b"), keyed("n1", "")} {
		if err := p.Publish("topic", msg); err != nil {
			t.Fatal(err)
		}
	}
	// a2 waits for a1, however long the broker takes.
	done := publishInBackground(t, p, keyed("a2", "a"))
	if !blocked(done) {
		t.Fatal("a2 was sent while a1 was in flight")
	}
	broker.answer(1, nil) // b1
	if !blocked(done) {
		t.Fatal("a2 was sent when b1, not a1, was acknowledged")
	}
	broker.answer(0, nil) // a1
	<-done
	if got := broker.sentUUIDs(); len(got) != 4 || got[3] != "a2" {
		t.Fatalf("sent %v, want a2 last", got)
	}
	barrierDone := make(chan error, 1)
	go func() { barrierDone <- p.barrier() }()
	select {
	case err := <-barrierDone:
		t.Fatalf("barrier returned (%v) with records in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	broker.answer(2, nil)
	broker.answer(3, nil)
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
	done := publishInBackground(t, p, keyed("a2", "a"))
	refused := errors.New("broker refused")
	broker.answer(0, refused)
	<-done // a2 returns without being sent
	if err := p.Publish("topic", keyed("b1", "b")); err != nil {
		t.Fatal(err)
	}
	if got := broker.sentUUIDs(); len(got) != 1 {
		t.Fatalf("sent %v after the failure, want only a1", got)
	}
	if err := p.barrier(); !errors.Is(err, refused) {
		t.Fatalf("barrier = %v, want the broker's error", err)
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
