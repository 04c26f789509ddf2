package forwarder

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/outbox/internal/shard"
	"github.com/orderflow/orders/internal/testenv"
)

// The forwarder uses three extension points of watermill-sql's subscriber
// beyond their documented purpose, correct only given the call order of
// its v3.1.0 subscriber.go:
//
//   - offsetsAdapter.AckMessageQuery waits for the broker and fails a batch
//     with a statement that raises (pipeline.barrier);
//   - backoffManager waits itself and returns 0;
//   - lockingBeginner takes the shard lock only when BeginTx has options.
//
// TestWatermillSQLSubscriberCallsTheForwardersHooksInTheOrderItReliesOn runs
// the real subscriber on PostgreSQL with recording hooks and pins that
// order, so that an upgrade that changes it fails here, loudly.
func TestWatermillSQLSubscriberCallsTheForwardersHooksInTheOrderItReliesOn(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const topic, group = "pin_topic", "pin"
	for _, q := range (schemaAdapter{}).SchemaInitializingQueries(topic) {
		if _, err := db.ExecContext(ctx, q.Query); err != nil {
			t.Fatal(err)
		}
	}
	publisher, err := watermillsql.NewPublisher(db, watermillsql.PublisherConfig{SchemaAdapter: schemaAdapter{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	publish := func(uuids ...string) { // in one statement: one transaction, visible at once
		var batch []*message.Message
		for _, id := range uuids {
			batch = append(batch, message.NewMessage(id, []byte(id)))
		}
		if err := publisher.Publish(topic, batch...); err != nil {
			t.Fatal(err)
		}
	}

	rec := &pinRecorder{}
	var failNext atomic.Bool
	offsets := offsetsAdapter{CreateMissing: true, beforeAck: func() error {
		if failNext.CompareAndSwap(true, false) {
			return errors.New("a record failed")
		}
		return nil
	}}
	backoff := &pinBackoff{rec: rec, sleep: 300 * time.Millisecond}
	subscriber, err := watermillsql.NewSubscriber(pinBeginner{DB: db, rec: rec}, watermillsql.SubscriberConfig{
		ConsumerGroup:  group,
		SchemaAdapter:  pinSchema{schemaAdapter: schemaAdapter{BatchSize: 10}, rec: rec},
		OffsetsAdapter: pinOffsets{offsetsAdapter: offsets, rec: rec},
		BackoffManager: backoff,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = subscriber.Close() }()
	publish("m1", "m2", "m3")
	msgs, err := subscriber.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	receive := func(want ...string) {
		t.Helper()
		for _, id := range want {
			select {
			case msg := <-msgs:
				tx, ok := watermillsql.TxFromContext(msg.Context())
				rec.mu.Lock()
				same := ok && tx == rec.lastTx
				rec.mu.Unlock()
				if msg.UUID != id || !same {
					for _, e := range rec.snapshot() {
						if e.what != "handle empty" && e.what != "select" && !strings.HasPrefix(e.what, "begin Read") {
							t.Log(e.what)
						}
					}
					t.Fatalf("received %s (in the last transaction begun: %v), want %s in it", msg.UUID, same, id)
				}
				rec.add("msg %s", msg.UUID)
				msg.Ack()
			case <-ctx.Done():
				t.Fatalf("%s not received", id)
			}
		}
	}
	receive("m1", "m2", "m3")
	waitFor(t, rec, "handle batch")
	backoff.armed.Store(true)
	waitFor(t, rec, "handle empty, sleep")
	waitFor(t, rec, "handle empty")
	failNext.Store(true)
	publish("m4", "m5")
	receive("m4", "m5")
	receive("m4", "m5") // read again after the failed ack query
	waitFor(t, rec, "ack 5")
	// The ack query is recorded when it is made; its transaction commits
	// after: wait for the position before closing the subscriber.
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var acked int64
		if db.QueryRow(`SELECT offset_acked FROM `+shard.OffsetsTable(topic)+` WHERE consumer_group = $1`, group).Scan(&acked) == nil && acked == 5 {
			break
		}
	}
	cancel()
	_ = subscriber.Close()

	var events []string
	all := rec.snapshot()
	for i, e := range all {
		if strings.HasPrefix(e.what, "begin ") && i > 0 {
			if prev := all[i-1].what; strings.HasPrefix(prev, "handle empty, sleep") && e.at.Sub(all[i-1].at) < backoff.sleep {
				t.Errorf("the subscriber queried again %s after HandleError returned %s; it must sleep what HandleError returns", e.at.Sub(all[i-1].at), backoff.sleep)
			}
		}
		if e.what == "begin nil" && i > 0 {
			t.Errorf("event %d: BeginTx without options after the set-up transaction", i)
		}
		if e.what == "select" && (i == 0 || all[i-1].what != "begin Read Committed") {
			t.Errorf("event %d: select not right after a READ COMMITTED begin", i)
		}
		if e.what != "handle empty" && e.what != "select" && !strings.HasPrefix(e.what, "begin Read") {
			events = append(events, e.what) // the batches, without the idle polling
		}
	}
	want := []string{
		"begin nil", // the set-up transaction creating the position (BeforeSubscribingQueries)
		"msg m1", "msg m2", "msg m3", "ack 3", "handle batch", "handle empty, sleep",
		"msg m4", "msg m5", "ack fails", "handle error", // the failed ack query rolls the batch back
		"msg m4", "msg m5", "ack 5", "handle batch",
	}
	if !slices.Equal(events[:min(len(events), len(want))], want) {
		t.Errorf("watermill-sql's subscriber called\n%s\nwant\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}
	var acked int64
	if err := db.QueryRow(`SELECT offset_acked FROM `+shard.OffsetsTable(topic)+` WHERE consumer_group = $1`, group).Scan(&acked); err != nil || acked != 5 {
		t.Errorf("position %d (%v), want 5", acked, err)
	}
}

func waitFor(t *testing.T, rec *pinRecorder, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if slices.ContainsFunc(rec.snapshot(), func(e pinEvent) bool { return e.what == what }) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no %q within 20s", what)
}
