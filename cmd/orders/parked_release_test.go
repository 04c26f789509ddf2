package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	inventorycommand "github.com/orderflow/orders/app/inventory/command"
	"github.com/orderflow/orders/cmd/orders/service"
	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/platform/contracts/orderevents"
	"github.com/orderflow/orders/ports/messaging"
)

// TestMain lets a test run this binary as `orders` (runOrders): with
// ORDERS_TEST_RUN_MAIN=1 it is main with the test's arguments.
func TestMain(m *testing.M) {
	if os.Getenv("ORDERS_TEST_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestParkedReleaseAppliesTheOrdersMessagesInOrder parks an order at the
// inventory: its reservation fails for good (a trigger refuses it), so the
// OrderPlaced is parked and the OrderCancelled behind it. A release while
// the cause is still there fails again and changes nothing; after the
// trigger is dropped, a release reserves and then releases the stock, in
// that order, and the order is no longer parked. Releasing an order that
// is not parked says so and exits with status 1.
func TestParkedReleaseAppliesTheOrdersMessagesInOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	ordersTopic := testenv.Topic(t, brokers, 1)
	application, err := service.NewInventoryApplication(db, testenv.OutboxPublisher(t, outbox.Inventory), "inventory.events",
		service.Telemetry{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := application.Commands.SetStock.Handle(ctx, inventorycommand.SetStock{SKU: "BOOK", OnHand: 10}); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `CREATE FUNCTION refuse_reservations() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'reservations are closed for maintenance'; END $$`)
	mustExec(t, db, `CREATE TRIGGER refuse_reservations BEFORE INSERT ON inventory_reservations
		FOR EACH ROW EXECUTE FUNCTION refuse_reservations()`)

	consumer, err := service.NewInventoryConsumer(db, application, ordersTopic, service.ConsumerConfig{
		Brokers: brokers, ConsumerGroup: "inventory." + strings.TrimPrefix(ordersTopic, "test."), DeadLetterTopic: testenv.Topic(t, brokers, 1),
		Retry:  messaging.RetryConfig{MaxRetries: 1, InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	testenv.RunConsumer(t, consumer)

	orderID := uuid.NewString()
	placed := testenv.OrderEvent(t, orderID, 1, orderevents.OrderPlaced{CustomerID: "c", Currency: "EUR", Total: 2598,
		Items: []orderevents.Item{{SKU: "BOOK", Quantity: 2, UnitPrice: 1299, Subtotal: 2598}}})
	cancelled := testenv.OrderEvent(t, orderID, 2, orderevents.OrderCancelled{Reason: "customer_request"})
	pub, err := kafka.NewPublisher(brokers, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Close() }()
	if err := pub.Publish(ordersTopic, placed, cancelled); err != nil {
		t.Fatal(err)
	}
	parked := func() []string {
		return queryStrings(t, db, `SELECT metadata->>'name' || ': ' || reason FROM inventory_parked_messages WHERE order_key = $1 ORDER BY seq`, orderID)
	}
	testenv.WaitFor(t, 60*time.Second, "the order's two messages parked", func() (bool, string) {
		got := parked()
		return len(got) == 2, fmt.Sprint(got)
	})

	env := []string{"DATABASE_URL=" + dbURL, "KAFKA_BROKERS=" + strings.Join(brokers, ","), "METRICS_ADDR=off", "LOG_LEVEL=warn"}
	out, code := runOrders(t, env, "parked", "release", orderID)
	if code == 0 || !strings.Contains(out, "failed again") || !strings.Contains(out, "reservations are closed") {
		t.Errorf("release with the cause still there: exit %d, output:\n%s", code, out)
	}
	if got := parked(); len(got) != 2 || !strings.HasPrefix(got[0], "OrderPlaced: ") || !strings.Contains(got[0], "reservations are closed") ||
		!strings.HasPrefix(got[1], "OrderCancelled: ") {
		t.Errorf("after the failed release the order's parked messages are %v; want OrderPlaced (with the reason), then OrderCancelled", got)
	}

	mustExec(t, db, `DROP TRIGGER refuse_reservations ON inventory_reservations`)
	out, code = runOrders(t, env, "parked", "release", orderID)
	if code != 0 || !strings.Contains(out, "inventory: 2 message(s) of order "+orderID+" went through; the order is no longer parked") {
		t.Errorf("release after the fix: exit %d, output:\n%s", code, out)
	}
	if got := parked(); len(got) != 0 {
		t.Errorf("still parked after the release: %v", got)
	}
	// Reserved, then released: in the other order the release would have
	// found no reservation, and the reservation would still be held.
	if got := queryStrings(t, db, `SELECT status FROM inventory_reservations WHERE order_id = $1`, orderID); len(got) != 1 || got[0] != "released" {
		t.Errorf("the order's reservation: %v, want released", got)
	}
	if got := queryStrings(t, db, `SELECT reserved::text FROM inventory_stock WHERE sku = 'BOOK'`); len(got) != 1 || got[0] != "0" {
		t.Errorf("BOOK reserved: %v, want 0", got)
	}
	if got := queryStrings(t, db, `SELECT message_id FROM inventory_inbox WHERE consumer = 'inventory' ORDER BY message_id`); len(got) != 2 {
		t.Errorf("inbox: %v, want the two released messages", got)
	}

	unknown := uuid.NewString()
	out, code = runOrders(t, env, "parked", "release", unknown)
	if code != 1 || !strings.Contains(out, "order "+unknown+" is not parked") {
		t.Errorf("release of an order that is not parked: exit %d, output:\n%s", code, out)
	}
}

// runOrders runs this test binary as `orders args...` (see TestMain) and
// returns its combined output and exit status.
func runOrders(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "ORDERS_TEST_RUN_MAIN=1"), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exit):
		return out.String(), exit.ExitCode()
	default:
		t.Fatalf("run orders %v: %v", args, err)
		return "", -1
	}
}

func mustExec(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), query); err != nil {
		t.Fatal(err)
	}
}

// queryStrings returns the first column of query's rows.
func queryStrings(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
