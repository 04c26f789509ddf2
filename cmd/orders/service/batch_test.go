package service_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orders/adapters/outbox"
	inventoryapp "github.com/orderflow/orders/app/inventory"
	inventorycommand "github.com/orderflow/orders/app/inventory/command"
	"github.com/orderflow/orders/cmd/orders/service"
	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/platform/contracts/orderevents"
	"github.com/orderflow/orders/ports/messaging"
)

// TestWaitingMessagesAreHandledInBatches gives the inventory's consumer a
// backlog of orders with a poison message in the middle, then the whole
// backlog again, as after a crash between a batch's commit and its
// acknowledgements. The backlog commits in fewer transactions than
// messages; the poison parks only its own order; the second delivery has
// no effect at all.
func TestWaitingMessagesAreHandledInBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inv := newBatchInventory(t)
	db, brokers, ordersTopic, application := inv.db, inv.brokers, inv.topic, inv.app
	if err := application.Commands.SetStock.Handle(ctx, inventorycommand.SetStock{SKU: "BOOK", OnHand: 10_000}); err != nil {
		t.Fatal(err)
	}

	const orders = 120
	var backlog []*message.Message
	for i := range orders {
		if i == orders/2 {
			backlog = append(backlog, placedOf(t, uuid.NewString(), 0)) // invalid: parked
		}
		backlog = append(backlog, placedOf(t, uuid.NewString(), 1))
	}
	poisonOrder := backlog[orders/2].Metadata.Get("partition_key")
	testenv.PublishToKafka(t, brokers, ordersTopic, backlog...)

	reg := prometheus.NewRegistry()
	inv.runConsumer(t, "inventory", service.ConsumerConfig{Registerer: reg, BatchSize: 64})

	testenv.WaitFor(t, 90*time.Second, "every order reserved and the poison parked", func() (bool, string) {
		held, parked := count(t, db, `SELECT count(*) FROM inventory_reservations WHERE status = 'held'`),
			count(t, db, `SELECT count(*) FROM inventory_parked_messages`)
		return held == orders && parked == 1, fmt.Sprintf("%d held, %d parked", held, parked)
	})
	if got := count(t, db, `SELECT count(*) FROM inventory_parked_messages WHERE order_key = $1`, poisonOrder); got != 1 {
		t.Errorf("parked messages of the poison's order: %d, want 1 (and none of any other order)", got)
	}
	// Rows written in one transaction share its xmin.
	transactions := count(t, db, `SELECT count(DISTINCT xmin::text) FROM inventory_reservations`)
	t.Logf("%d reservations in %d transactions", orders, transactions)
	if transactions > orders*2/3 {
		t.Errorf("%d reservations took %d transactions: the backlog was not handled in batches", orders, transactions)
	}

	scrape := scraper(t, reg)
	if got := scrape()[`orders_consumer_batches_total{consumer="inventory",outcome="committed"}`]; got < 1 {
		t.Errorf("committed batches counted: %v, want some", got)
	}
	testenv.PublishToKafka(t, brokers, ordersTopic, backlog...)
	testenv.WaitFor(t, 90*time.Second, "the redelivered backlog acknowledged as duplicates", func() (bool, string) {
		series := `orders_consumer_messages_duplicate_total{consumer="inventory",event_type="OrderPlaced"}`
		got := scrape()[series]
		return got == orders, fmt.Sprintf("%s = %v", series, got)
	})
	if got := count(t, db, `SELECT reserved FROM inventory_stock WHERE sku = 'BOOK'`); got != orders {
		t.Errorf("reserved stock: %d, want %d (one per order, once)", got, orders)
	}
}

func placedOf(t *testing.T, orderID string, quantity int64) *message.Message {
	return testenv.OrderEvent(t, orderID, 1, orderevents.OrderPlaced{
		CustomerID: "c", Currency: "EUR", Total: 1299 * quantity,
		Items: []orderevents.Item{{SKU: "BOOK", Quantity: quantity, UnitPrice: 1299, Subtotal: 1299 * quantity}},
	})
}

func count(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestTwoInstancesWithOverlappingBatchesApplyEachMessageOnce runs two
// inventory consumers in two consumer groups on one backlog, so that every
// message reaches both, in batches that overlap (as two instances' do for a
// moment after a rebalance), over SKUs that orders take in different
// orders. Neither hangs, and each order is reserved once.
func TestTwoInstancesWithOverlappingBatchesApplyEachMessageOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inv := newBatchInventory(t)
	db, brokers, ordersTopic, application := inv.db, inv.brokers, inv.topic, inv.app
	skus := []string{"A", "B", "C", "D"}
	for _, sku := range skus {
		if err := application.Commands.SetStock.Handle(ctx, inventorycommand.SetStock{SKU: sku, OnHand: 10_000}); err != nil {
			t.Fatal(err)
		}
	}
	const orders = 120
	var backlog []*message.Message
	for i := range orders {
		first, second := skus[i%4], skus[(i+1+i/4)%4]
		if first == second {
			second = skus[(i+2)%4]
		}
		backlog = append(backlog, testenv.OrderEvent(t, uuid.NewString(), 1, orderevents.OrderPlaced{
			CustomerID: "c", Currency: "EUR", Total: 200,
			Items: []orderevents.Item{{SKU: first, Quantity: 1, UnitPrice: 100, Subtotal: 100}, {SKU: second, Quantity: 1, UnitPrice: 100, Subtotal: 100}},
		}))
	}
	testenv.PublishToKafka(t, brokers, ordersTopic, backlog...)

	for i := range 2 {
		inv.runConsumer(t, fmt.Sprintf("inventory-%d", i), service.ConsumerConfig{
			Retry:     messaging.RetryConfig{MaxRetries: 5, InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond},
			BatchSize: 64,
		})
	}
	testenv.WaitFor(t, 90*time.Second, "every order reserved", func() (bool, string) {
		held := count(t, db, `SELECT count(*) FROM inventory_reservations WHERE status = 'held'`)
		return held == orders, fmt.Sprintf("%d held", held)
	})
	// Let both finish the backlog: the second instance finds every message
	// applied.
	testenv.WaitFor(t, 90*time.Second, "both instances done", func() (bool, string) {
		applied := count(t, db, `SELECT count(*) FROM inventory_inbox`)
		return applied == orders, fmt.Sprintf("%d inbox records", applied)
	})
	if got := count(t, db, `SELECT sum(reserved) FROM inventory_stock`); got != 2*orders {
		t.Errorf("reserved stock: %d, want %d (two lines per order, once)", got, 2*orders)
	}
	if got := count(t, db, `SELECT count(*) FROM inventory_parked_messages`); got != 0 {
		t.Errorf("%d messages parked, want none; reasons: %s", got, parkedReasons(t, db))
	}
}

// parkedReasons lists why the inventory parked what it parked, for a
// failure's message.
func parkedReasons(t *testing.T, db *sql.DB) string {
	t.Helper()
	var reasons string
	if err := db.QueryRowContext(context.Background(),
		`SELECT coalesce(string_agg(consumer || ': ' || reason, '; '), '') FROM inventory_parked_messages`).Scan(&reasons); err != nil {
		t.Fatalf("reading the parked messages' reasons: %v", err)
	}
	return reasons
}

// batchInventory is the inventory's application on a database of its own,
// and the topics of its consumer: six partitions, so that batches form.
type batchInventory struct {
	db         *sql.DB
	brokers    []string
	topic, dlq string
	publisher  *outbox.Publisher
	app        inventoryapp.Application
}

func newBatchInventory(t *testing.T) batchInventory {
	t.Helper()
	inv := batchInventory{db: testenv.DB(t), brokers: testenv.Kafka(t), publisher: testenv.OutboxPublisher(t, outbox.Inventory)}
	inv.topic, inv.dlq = testenv.Topic(t, inv.brokers, 6), testenv.Topic(t, inv.brokers, 1)
	var err error
	inv.app, err = service.NewInventoryApplication(inv.db, inv.publisher, "inventory.events", service.Telemetry{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// runConsumer runs an inventory consumer on the topic, in consumer group
// group (made the topic's own), with cfg's batch size, registry and
// retries (by default one quick retry), until the test ends.
func (inv batchInventory) runConsumer(t *testing.T, group string, cfg service.ConsumerConfig) {
	t.Helper()
	cfg.Brokers, cfg.DeadLetterTopic, cfg.Outbox = inv.brokers, inv.dlq, inv.publisher
	cfg.ConsumerGroup = group + "." + strings.TrimPrefix(inv.topic, "test.")
	cfg.Logger = slog.New(slog.DiscardHandler)
	if cfg.Retry.MaxRetries == 0 {
		cfg.Retry = messaging.RetryConfig{MaxRetries: 1, InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond}
	}
	consumer, err := service.NewInventoryConsumer(inv.db, inv.app, inv.topic, cfg)
	if err != nil {
		t.Fatal(err)
	}
	testenv.RunConsumer(t, consumer)
}
