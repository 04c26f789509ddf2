package service_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/adapters/postgres/messagestore"
	inventoryapp "github.com/orderflow/orders/app/inventory"
	inventorycommand "github.com/orderflow/orders/app/inventory/command"
	"github.com/orderflow/orders/cmd/orders/service"
	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/platform/contracts/orderevents"
	"github.com/orderflow/orders/ports/messaging"
)

// TestUnwantedMessagesCostNoStatement runs the inventory's consumer on
// real PostgreSQL and Kafka and sends it order events it has no handler
// for, one of them with a payload that is not even JSON: all are
// acknowledged (the group's offset passes them) without one statement on
// the service's database, and without a dead letter, since they are not
// decoded. An OrderPlaced after them is handled, and its only statement on
// the parking lot is the inbox record's.
func TestUnwantedMessagesCostNoStatement(t *testing.T) {
	t.Parallel()
	c := startInventoryConsumer(t)

	orderID := uuid.NewString()
	garbage := message.NewMessage(uuid.NewString(), []byte("{this is not an event"))
	garbage.Metadata.Set("name", orderevents.OrderConfirmedType)
	garbage.Metadata.Set("partition_key", orderID)
	unwanted := []*message.Message{
		testenv.OrderEvent(t, orderID, 2, orderevents.OrderStockReserved{Currency: "EUR", Total: 1299}),
		testenv.OrderEvent(t, orderID, 3, orderevents.OrderPaymentCaptured{PaymentID: "p", Amount: 1299}),
		testenv.OrderEvent(t, orderID, 4, orderevents.OrderConfirmed{}),
		garbage,
	}
	before := statementCalls(t, c.dbName)
	testenv.PublishToKafka(t, c.brokers, c.topic, unwanted...)
	c.waitCommitted(t, int64(len(unwanted)))
	if ran := statementCalls(t, c.dbName).minus(before); len(ran) != 0 {
		t.Errorf("statements on the database for messages no handler wants, want none: %v", ran)
	}
	if n := countDeadLetters(t, c.brokers, c.dlq); n != 0 {
		t.Errorf("%d dead letters, want none: an unwanted message is acknowledged undecoded", n)
	}

	// The counting sees what the consumer does: a wanted message costs
	// statements, none of them a parking check of its own.
	before = statementCalls(t, c.dbName)
	testenv.PublishToKafka(t, c.brokers, c.topic, placed(t, orderID))
	c.waitCommitted(t, int64(len(unwanted))+1)
	delta := statementCalls(t, c.dbName).minus(before)
	if len(delta) == 0 {
		t.Fatal("no statement for a handled OrderPlaced: the count does not see the consumer")
	}
	for query := range delta {
		if strings.Contains(query, messagestore.InventoryTables.Parked) && !strings.Contains(query, "INSERT INTO "+messagestore.InventoryTables.Inbox) {
			t.Errorf("a handled message read the parking lot on its own: %s", query)
		}
	}
	if status := c.reservationStatus(t, orderID); status != "held" {
		t.Errorf("reservation %q, want held", status)
	}
}

// TestAParkedOrdersLaterMessageIsParkedInOrder parks an OrderPlaced as if
// it had failed, then sends the order's cancellation and another order's
// OrderPlaced: the cancellation's transaction finds the order parked as it
// records the message, so it is parked behind, dead-lettered and not
// applied, while the other order goes through. A release applies both in
// their order; after it, a redelivered cancellation is a duplicate, not
// parked.
func TestAParkedOrdersLaterMessageIsParkedInOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := startInventoryConsumer(t)
	lot, err := messagestore.NewParkingLot(c.db, messagestore.InventoryTables)
	if err != nil {
		t.Fatal(err)
	}

	parkedID, otherID := uuid.NewString(), uuid.NewString()
	first := placed(t, parkedID)
	if err := lot.Park(ctx, service.InventoryConsumerName, parkedID, c.topic, first, "failed earlier"); err != nil {
		t.Fatal(err)
	}
	cancel := testenv.OrderEvent(t, parkedID, 2, orderevents.OrderCancelled{Reason: "customer_request"})
	testenv.PublishToKafka(t, c.brokers, c.topic, cancel, placed(t, otherID))
	c.waitCommitted(t, 2)

	if got := c.parkedTypes(t, parkedID); fmt.Sprint(got) != "[OrderPlaced OrderCancelled]" {
		t.Errorf("parked %v, want [OrderPlaced OrderCancelled]", got)
	}
	if n := countDeadLetters(t, c.brokers, c.dlq); n != 1 {
		t.Errorf("%d dead letters, want the parked cancellation", n)
	}
	if status := c.reservationStatus(t, parkedID); status != "" {
		t.Errorf("the parked order's reservation is %q, want none: nothing applied ahead of the parked message", status)
	}
	if c.inInbox(t, cancel.UUID) {
		t.Error("the parked cancellation is in the inbox")
	}
	if status := c.reservationStatus(t, otherID); status != "held" {
		t.Errorf("the other order's reservation is %q, want held", status)
	}

	releaser, err := service.NewInventoryReleaser(c.db, c.app, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := releaser.Release(ctx, parkedID); n != 2 || err != nil {
		t.Fatalf("release: %d, %v; want 2 messages through", n, err)
	}
	if status := c.reservationStatus(t, parkedID); status != "released" {
		t.Errorf("after the release the reservation is %q, want released (placed, then cancelled)", status)
	}

	testenv.PublishToKafka(t, c.brokers, c.topic, cancel)
	c.waitCommitted(t, 3)
	if got := c.parkedTypes(t, parkedID); len(got) != 0 {
		t.Errorf("after the release a redelivery parked %v", got)
	}
	if n := countDeadLetters(t, c.brokers, c.dlq); n != 1 {
		t.Errorf("%d dead letters after the release, want still 1", n)
	}
}

// inventoryConsumer is the inventory's consumer running on a database and
// a one-partition topic of its own.
type inventoryConsumer struct {
	db         *sql.DB
	dbName     string
	app        inventoryapp.Application
	brokers    []string
	topic, dlq string
	group      string
}

func startInventoryConsumer(t *testing.T) inventoryConsumer {
	t.Helper()
	ctx := context.Background()
	c := inventoryConsumer{db: testenv.DB(t), brokers: testenv.Kafka(t)}
	c.topic = testenv.Topic(t, c.brokers, 1)
	c.dlq = testenv.Topic(t, c.brokers, 1)
	c.group = "inventory." + strings.TrimPrefix(c.topic, "test.")
	if err := c.db.QueryRowContext(ctx, `SELECT current_database()`).Scan(&c.dbName); err != nil {
		t.Fatal(err)
	}
	var err error
	c.app, err = service.NewInventoryApplication(c.db, testenv.OutboxPublisher(t, outbox.Inventory), "inventory.events", service.Telemetry{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.app.Commands.SetStock.Handle(ctx, inventorycommand.SetStock{SKU: "BOOK", OnHand: 100}); err != nil {
		t.Fatal(err)
	}
	consumer, err := service.NewInventoryConsumer(c.db, c.app, c.topic, service.ConsumerConfig{
		Brokers: c.brokers, ConsumerGroup: c.group, DeadLetterTopic: c.dlq,
		Retry:  messaging.RetryConfig{MaxRetries: 1, InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	testenv.RunConsumer(t, consumer)
	return c
}

func placed(t *testing.T, orderID string) *message.Message {
	t.Helper()
	return testenv.OrderEvent(t, orderID, 1, orderevents.OrderPlaced{
		CustomerID: "c", Currency: "EUR", Total: 1299, Items: []orderevents.Item{{SKU: "BOOK", Quantity: 1, UnitPrice: 1299, Subtotal: 1299}},
	})
}

// waitCommitted waits until the consumer group committed offset n of the
// topic's one partition: every message before it is acknowledged.
func (c inventoryConsumer) waitCommitted(t *testing.T, n int64) {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	admin, err := sarama.NewClusterAdmin(c.brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = admin.Close() }()
	testenv.WaitFor(t, 60*time.Second, fmt.Sprintf("offset %d committed", n), func() (bool, string) {
		res, err := admin.ListConsumerGroupOffsets(c.group, map[string][]int32{c.topic: {0}})
		if err != nil {
			return false, err.Error()
		}
		block := res.GetBlock(c.topic, 0)
		if block == nil {
			return false, "no offset"
		}
		if !errors.Is(block.Err, sarama.ErrNoError) {
			return false, block.Err.Error()
		}
		return block.Offset >= n, fmt.Sprint(block.Offset)
	})
}

func (c inventoryConsumer) reservationStatus(t *testing.T, orderID string) string {
	t.Helper()
	var status string
	err := c.db.QueryRowContext(context.Background(), `SELECT status FROM inventory_reservations WHERE order_id = $1`, orderID).Scan(&status)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatal(err)
	}
	return status
}

func (c inventoryConsumer) inInbox(t *testing.T, messageID string) bool {
	t.Helper()
	var in bool
	err := c.db.QueryRowContext(context.Background(), `SELECT EXISTS (SELECT 1 FROM inventory_inbox WHERE message_id = $1)`, messageID).Scan(&in)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func (c inventoryConsumer) parkedTypes(t *testing.T, orderID string) []string {
	t.Helper()
	rows, err := c.db.QueryContext(context.Background(), `SELECT metadata->>'name' FROM inventory_parked_messages WHERE order_key = $1 ORDER BY seq`, orderID)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var types []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		types = append(types, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return types
}

func countDeadLetters(t *testing.T, brokers []string, topic string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n := 0
	if err := kafka.ReadTopic(ctx, brokers, topic, false, func(kafka.Record) error { n++; return nil }); err != nil {
		t.Fatalf("read %s: %v", topic, err)
	}
	return n
}

// statements are a database's calls per statement, from
// pg_stat_statements (its view is in the postgres database). Entries the
// view evicts under other databases' load only ever lower a count, so a
// statement that ran shows as a positive difference (minus).
type statements struct {
	calls map[string]int64
}

func statementCalls(t *testing.T, dbName string) statements {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, testenv.URLFor("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	rows, err := db.QueryContext(ctx, `SELECT s.query, sum(s.calls) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
		WHERE d.datname = $1 GROUP BY s.query`, dbName)
	if err != nil {
		t.Fatalf("pg_stat_statements (scripts/services.sh loads it): %v", err)
	}
	defer func() { _ = rows.Close() }()
	s := statements{calls: map[string]int64{}}
	for rows.Next() {
		var query string
		var calls int64
		if err := rows.Scan(&query, &calls); err != nil {
			t.Fatal(err)
		}
		s.calls[query] += calls
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}

// minus is the calls per statement since before, of the statements that
// ran since.
func (s statements) minus(before statements) map[string]int64 {
	out := map[string]int64{}
	for query, n := range s.calls {
		if d := n - before.calls[query]; d > 0 {
			out[query] = d
		}
	}
	return out
}
