package main

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// TestOrdersAllWakesItsForwardersInProcess runs `orders all` with forwarders that
// poll only once a minute and confirms an order within seconds: each
// outbox write woke its forwarder. The database ran no pg_notify: the wake-ups
// were calls inside the process.
func TestOrdersAllWakesItsForwardersInProcess(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	if _, err := db.ExecContext(context.Background(), `INSERT INTO inventory_stock (sku, on_hand) VALUES ('BOOK', 10)`); err != nil {
		t.Fatal(err)
	}
	brokers := testenv.Kafka(t)
	apiAddr := testenv.FreeAddr(t)
	env := append(testenv.SystemEnv(t, brokers, 3), "ORDERS_TEST_RUN_MAIN=1", "DATABASE_URL="+dbURL, "LOG_FORMAT=json", "METRICS_ADDR=off",
		"HTTP_ADDR="+apiAddr, "INVENTORY_HTTP_ADDR="+testenv.FreeAddr(t), "PAYMENT_HTTP_ADDR="+testenv.FreeAddr(t),
		"FORWARDER_IDLE_POLL_INTERVAL=1m")
	all := testenv.StartProcess(t, "orders all", os.Args[0], []string{"all"}, env...)
	testenv.WaitHTTP(t, all, apiAddr, "/healthz", http.StatusNoContent)
	notifies := func() int64 { return testenv.StatementCalls(t, db, "pg_notify") }
	before := notifies()

	client := testenv.WithBearer(&http.Client{Timeout: 30 * time.Second}, testenv.OperatorToken(t))
	var ids []string
	for range 3 {
		id, err := testenv.PlaceOrder(context.Background(), client, apiAddr, "customer-1", []map[string]any{{"sku": "BOOK", "quantity": 1, "unit_price": 1299}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// Five messages per order through three forwarders; polling alone would
	// take minutes.
	testenv.WaitOrdersEnded(t, db, ids, 30*time.Second)
	var confirmed int
	if err := db.QueryRowContext(context.Background(), `SELECT count(*) FROM orders WHERE status = 'confirmed'`).Scan(&confirmed); err != nil || confirmed != len(ids) {
		t.Errorf("%d orders confirmed (%v), want %d", confirmed, err, len(ids))
	}
	if n := notifies() - before; n != 0 {
		t.Errorf("the database ran pg_notify %d times, want none: orders all wakes its forwarders in-process", n)
	}
}
