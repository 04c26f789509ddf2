package admin_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/internal/testenv"
)

// An order with a dead letter is held; replay sends its letters in order
// and releases it; skip gives up the poison alone, and an ID behind the
// first is refused.
func TestHeldOrdersAreReplayedOrSkippedInOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 1)
	pub := testenv.OutboxPublisher(t, outbox.Orders)
	kafkaPub, err := kafka.NewPublisher(brokers, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kafkaPub.Close() })
	forwardOutbox(t, db, dbURL, kafkaPub)
	write := func(order string, version int) { publish(t, db, pub, topic, newMessage(t, order, version)) }

	// replayable: its row's metadata is unreadable, its envelope is fine.
	write("replayable", 1)
	poison(t, db, topic, "replayable", 2, `{"n":1}`, "")
	write("replayable", 3)
	// too-large: over the producer's MaxMessageBytes; replay fails too.
	write("too-large", 1)
	poison(t, db, topic, "too-large", 2, `{}`, strings.Repeat("x", 1_100_000))
	write("too-large", 3)
	waitFor(t, func() bool { return len(openLetters(t, db)) == 4 })
	write("replayable", 4) // written while held: held too
	write("too-large", 4)
	waitFor(t, func() bool { return len(openLetters(t, db)) == 6 })
	if got := versionsOnKafka(t, brokers, topic); !slices.Equal(got["replayable"], []int{1}) || !slices.Equal(got["too-large"], []int{1}) {
		t.Fatalf("on Kafka while held: %v", got)
	}

	res, err := admin.ReplayDeadLetters(ctx, db, outbox.Orders, outbox.DefaultConsumerGroup, kafkaPub, "replayable")
	if err != nil || len(res.Done) != 3 || res.StillOpen != 0 {
		t.Fatalf("replay replayable: %+v, %v", res, err)
	}
	write("replayable", 5) // released: flows again

	letters := openLetters(t, db) // too-large's: the poison, then 3 and 4
	if _, err := admin.SkipDeadLetters(ctx, db, outbox.Orders, outbox.DefaultConsumerGroup, fmt.Sprint(letters[1].ID)); err == nil ||
		!strings.Contains(err.Error(), "refusing to reorder") {
		t.Errorf("skip of a letter behind the first: %v, want a refusal", err)
	}
	res, err = admin.ReplayDeadLetters(ctx, db, outbox.Orders, outbox.DefaultConsumerGroup, kafkaPub, "too-large")
	if err == nil || len(res.Done) != 0 || res.StillOpen != 3 {
		t.Errorf("replay of an order whose first letter is too large: %+v, %v; want an error, nothing done", res, err)
	}
	if res, err = admin.SkipDeadLetters(ctx, db, outbox.Orders, outbox.DefaultConsumerGroup, fmt.Sprint(letters[0].ID)); err != nil || res.StillOpen != 2 {
		t.Fatalf("skip the poison: %+v, %v", res, err)
	}
	write("too-large", 5) // still held behind 3 and 4
	waitFor(t, func() bool { return len(openLetters(t, db)) == 3 })
	if res, err = admin.ReplayDeadLetters(ctx, db, outbox.Orders, outbox.DefaultConsumerGroup, kafkaPub, "too-large"); err != nil || len(res.Done) != 3 {
		t.Fatalf("replay too-large: %+v, %v", res, err)
	}
	write("too-large", 6)

	want := map[string][]int{"replayable": {1, 2, 3, 4, 5}, "too-large": {1, 3, 4, 5, 6}}
	var got map[string][]int
	waitFor(t, func() bool {
		got = versionsOnKafka(t, brokers, topic)
		return len(got["replayable"]) >= 5 && len(got["too-large"]) >= 5
	})
	for order, versions := range want {
		if !slices.Equal(got[order], versions) {
			t.Errorf("%s on Kafka: versions %v, want %v", order, got[order], versions)
		}
	}
	all, err := admin.DeadLetters(ctx, db, outbox.Orders.Name, 20)
	statuses := map[string]int{}
	for _, d := range all {
		statuses[d.Status]++
	}
	if err != nil || statuses[admin.StatusReplayed] != 6 || statuses[admin.StatusSkipped] != 1 || len(all) != 7 {
		t.Errorf("letters after: %v, %v; want 6 replayed, 1 skipped", statuses, err)
	}
}

func forwardOutbox(t *testing.T, db *sql.DB, dbURL string, pub message.Publisher) {
	t.Helper()
	rel, err := forwarder.New(db, forwarder.Config{Outbox: outbox.Orders, Publisher: pub, ListenURL: dbURL, IdlePollInterval: 50 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rel.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("forwarder: %v", err)
		}
	})
}

// poison writes a row of order the forwarder cannot send.
func poison(t *testing.T, db *sql.DB, topic, order string, version int, metadata, padding string) {
	t.Helper()
	payload, _ := json.Marshal(map[string]any{"order": order, "version": version})
	env := outbox.Envelope{DestinationTopic: topic, UUID: fmt.Sprintf("%s-%d", order, version), Payload: payload,
		Metadata: map[string]string{outbox.MetadataPartitionKey: order, "padding": padding}}
	stored, err := outbox.Marshaler{}.Marshal(&env)
	if err != nil {
		t.Fatal(err)
	}
	table := outbox.MessagesTable(outbox.Orders.SQLTopic(outbox.ShardOf(order, outbox.Orders.Shards)))
	if _, err := db.Exec(`INSERT INTO `+table+` (uuid, payload, metadata, transaction_id) VALUES ($1, $2, $3, pg_current_xact_id())`,
		env.UUID, stored, metadata); err != nil {
		t.Fatal(err)
	}
}

func openLetters(t *testing.T, db *sql.DB) []admin.DeadLetter {
	t.Helper()
	all, err := admin.DeadLetters(context.Background(), db, outbox.Orders.Name, 100)
	if err != nil {
		t.Fatal(err)
	}
	var open []admin.DeadLetter
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Open() {
			open = append(open, all[i])
		}
	}
	return open
}

// versionsOnKafka returns each order's versions on topic, first deliveries
// only.
func versionsOnKafka(t *testing.T, brokers []string, topic string) map[string][]int {
	t.Helper()
	versions := map[string][]int{}
	err := kafka.ReadTopic(context.Background(), brokers, topic, false, func(r kafka.Record) error {
		var e struct {
			Order   string `json:"order"`
			Version int    `json:"version"`
		}
		if err := json.Unmarshal(r.Value, &e); err != nil {
			return err
		}
		if !slices.Contains(versions[e.Order], e.Version) { // a redelivery after a failed batch
			versions[e.Order] = append(versions[e.Order], e.Version)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return versions
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
