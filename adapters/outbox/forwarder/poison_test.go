package forwarder_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/internal/testenv"
)

// poisonRow is a row the forwarder cannot turn into a Kafka record, for the
// order "order-1", version 2.
type poisonRow struct {
	name     string
	payload  func(t *testing.T, topic string) []byte
	metadata string
	// orderUnknown: nothing of the row names its order, so nothing is held
	// behind it.
	orderUnknown bool
}

// frame stores an event of order as the outbox Publisher does.
func frame(t *testing.T, topic, order string, version int, extra map[string]string) []byte {
	t.Helper()
	payload, err := json.Marshal(event{Order: order, Version: version})
	if err != nil {
		t.Fatal(err)
	}
	metadata := map[string]string{outbox.MetadataPartitionKey: order}
	for k, v := range extra {
		metadata[k] = v
	}
	b, err := outbox.Marshaler{}.Marshal(&outbox.Envelope{DestinationTopic: topic, UUID: uuid.NewString(), Payload: payload, Metadata: metadata})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The kinds of poison issue 11 found, and one more of the same family.
var poisonRows = []poisonRow{
	{name: "metadata with a non-string value", metadata: `{"n":1}`,
		payload: func(t *testing.T, topic string) []byte { return frame(t, topic, "order-1", 2, nil) }},
	{name: "old JSON envelope with an object payload", metadata: `{}`,
		payload: func(_ *testing.T, topic string) []byte {
			return []byte(fmt.Sprintf(`{"destination_topic":%q,"uuid":"u-2","payload":{"order":"order-1","version":2},"metadata":{"partition_key":"order-1"}}`, topic))
		}},
	{name: "corrupted frame", metadata: `{}`, orderUnknown: true,
		payload: func(t *testing.T, topic string) []byte { return frame(t, topic, "order-1", 2, nil)[:9] }},
	{name: "metadata the Kafka marshaler refuses", metadata: `{}`,
		payload: func(t *testing.T, topic string) []byte {
			return frame(t, topic, "order-1", 2, map[string]string{"_watermill_message_uuid": "x"})
		}},
	{name: "record over the producer MaxMessageBytes", metadata: `{}`,
		payload: func(t *testing.T, topic string) []byte {
			return frame(t, topic, "order-1", 2, map[string]string{"padding": strings.Repeat("x", 1_100_000)})
		}},
}

// sameShardAs returns another order in the shard of order.
func sameShardAs(t *testing.T, order string) string {
	t.Helper()
	want := outbox.ShardOf(order, outbox.Orders.Shards)
	for i := 2; ; i++ {
		if other := fmt.Sprintf("order-%d", i); outbox.ShardOf(other, outbox.Orders.Shards) == want {
			return other
		}
	}
}

// insertRow writes a raw row into the shard of order-1, in a transaction
// of its own.
func insertRow(t *testing.T, db *sql.DB, id string, payload []byte, metadata string) {
	t.Helper()
	table := outbox.MessagesTable(outbox.Orders.SQLTopic(outbox.ShardOf("order-1", outbox.Orders.Shards)))
	if _, err := db.Exec(`INSERT INTO `+table+` (uuid, payload, metadata, transaction_id) VALUES ($1, $2, $3, pg_current_xact_id())`,
		id, payload, metadata); err != nil {
		t.Fatal(err)
	}
}

// holdsScene is a database, a one-partition topic and the orders outbox's
// publisher, for order-1 and another order of its shard.
type holdsScene struct {
	db      *sql.DB
	dbURL   string
	brokers []string
	topic   string
	pub     *outbox.Publisher
	other   string
}

func newHoldsScene(t *testing.T) holdsScene {
	t.Helper()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	return holdsScene{db: db, dbURL: dbURL, brokers: brokers, topic: testenv.Topic(t, brokers, 1),
		pub: testenv.OutboxPublisher(t, outbox.Orders), other: sameShardAs(t, "order-1")}
}

// Each poison row is dead-lettered at once; the shard goes on with the
// other orders, and order-1's later event is held behind it, not sent.
func TestPoisonIsDeadLetteredAtOnceAndItsOrdersLaterEventsAreHeld(t *testing.T) {
	t.Parallel()
	for _, p := range poisonRows {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			s := newHoldsScene(t)
			db, brokers, topic, pub, other := s.db, s.brokers, s.topic, s.pub, s.other

			startForwarder(t, db, s.dbURL, brokers, forwarder.Config{IdlePollInterval: 50 * time.Millisecond})
			publish(t, db, pub, topic, newMessage(t, "order-1", 1))
			readUntil(t, brokers, topic, "order-1", 20*time.Second, 1) // the forwarder is running
			insertRow(t, db, "poison", p.payload(t, topic), p.metadata)
			start := time.Now()
			publish(t, db, pub, topic, newMessage(t, "order-1", 3))
			publish(t, db, pub, topic, newMessage(t, other, 1))

			records := readUntil(t, brokers, topic, other, 20*time.Second, 1)
			for _, r := range records {
				if decode(t, r).Order == other { // the producer's create time
					t.Logf("%s: %s's event sent %s after the poison was committed", p.name, other, r.Timestamp.Sub(start).Round(time.Millisecond))
				}
			}
			if p.orderUnknown {
				// Nothing to hold: order-1's next event is sent, leaving a
				// hole, as before holds existed.
				readUntil(t, brokers, topic, "order-1", 20*time.Second, 3)
				if letters := waitForLetters(t, db, 1, 20*time.Second); !slices.Equal(letters, []string{"dead poison "}) {
					t.Errorf("dead letters %q, want the poison alone", letters)
				}
				return
			}
			want := map[string]int{"order-1": 1, other: 1}
			checkDelivery(t, records, want)
			wantLetters := []string{"dead poison order-1", "held x order-1"}
			if letters := waitForLetters(t, db, 2, 20*time.Second); !slices.Equal(letters, wantLetters) {
				t.Errorf("dead letters %q, want %q", letters, wantLetters)
			}
			time.Sleep(500 * time.Millisecond)
			checkDelivery(t, readEvents(t, brokers, topic, 2, 0), want)
		})
	}
}

// readUntil reads the topic until it holds the given version of order.
func readUntil(t *testing.T, brokers []string, topic, order string, within time.Duration, version int) []kafka.Record {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		records := readEvents(t, brokers, topic, 0, 0)
		for _, r := range records {
			if e := decode(t, r); e.Order == order && e.Version == version {
				return records
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no event of %s on %s within %s", order, topic, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitForLetters returns "status uuid partition_key" of the dead letters,
// in their order, once there are n.
func waitForLetters(t *testing.T, db *sql.DB, n int, within time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		letters := readLetters(t, db)
		if len(letters) >= n || time.Now().After(deadline) {
			return letters
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func readLetters(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT status || ' ' || CASE WHEN status = 'dead' THEN uuid ELSE 'x' END || ' ' || COALESCE(partition_key, '')
		FROM outbox_dead_letters ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var letters []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		letters = append(letters, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return letters
}

// TestALetterStoredBeforeTheBatchHoldsItsOrder: the held orders come from
// the batch's own select, so a letter that an earlier holder of the shard
// stored (another instance, or an operator's command) holds its order's
// next event from the first batch on: order-1's event is stored as held
// behind it, the other order's is sent.
func TestALetterStoredBeforeTheBatchHoldsItsOrder(t *testing.T) {
	t.Parallel()
	s := newHoldsScene(t)
	db, brokers, topic, other := s.db, s.brokers, s.topic, s.other
	sqlTopic := outbox.Orders.SQLTopic(outbox.ShardOf("order-1", outbox.Orders.Shards))
	if _, err := db.Exec(`INSERT INTO outbox_dead_letters (outbox, sql_topic, "offset", transaction_id, uuid, reason, partition_key, status)
		VALUES ($1, $2, 0, '1', 'earlier', 'stored by an earlier holder', 'order-1', 'dead')`, outbox.Orders.Name, sqlTopic); err != nil {
		t.Fatal(err)
	}
	publish(t, db, s.pub, topic, newMessage(t, "order-1", 2), newMessage(t, other, 1))

	startForwarder(t, db, s.dbURL, brokers, forwarder.Config{IdlePollInterval: 50 * time.Millisecond})
	records := readUntil(t, brokers, topic, other, 20*time.Second, 1)
	if letters := waitForLetters(t, db, 2, 20*time.Second); !slices.Equal(letters, []string{"dead earlier order-1", "held x order-1"}) {
		t.Errorf("dead letters %q, want order-1's event held behind the earlier letter", letters)
	}
	time.Sleep(500 * time.Millisecond)
	checkDelivery(t, append(records, readEvents(t, brokers, topic, 1, 0)...), map[string]int{other: 1})
}
