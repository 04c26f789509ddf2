package systemtest

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/internal/testenv"
)

// TestEachServiceOnItsOwnDatabase runs `orders migrate` and `orders all`
// with the inventory and the payment service on databases of their own:
// an order placed over HTTP is confirmed, and each service's tables are
// written in its own database only.
func TestEachServiceOnItsOwnDatabase(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ownDatabases)
	ordersDB, ordersURL := testenv.EmptyDBWithURL(t)
	inventoryDB, inventoryURL := testenv.EmptyDBWithURL(t)
	paymentDB, paymentURL := testenv.EmptyDBWithURL(t)
	dbs := []string{"DATABASE_URL=" + ordersURL, "INVENTORY_DATABASE_URL=" + inventoryURL, "PAYMENT_DATABASE_URL=" + paymentURL}

	// A service refuses a database that was never migrated, naming it.
	out, err := h.run(append(dbs, "INVENTORY_HTTP_ADDR="+testenv.FreeAddr(t)), "inventory")
	if err == nil || !strings.Contains(out, "INVENTORY_DATABASE_URL") || !strings.Contains(out, "orders migrate") {
		t.Fatalf("orders inventory on an unmigrated database: %v, want an error naming INVENTORY_DATABASE_URL and `orders migrate`:\n%s", err, out)
	}
	if out, err := h.run(dbs, "migrate"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}

	t.Log("migrated")
	apiAddr, inventoryAddr := testenv.FreeAddr(t), testenv.FreeAddr(t)
	all := h.start("orders all", []string{"all"}, append(dbs, "HTTP_ADDR="+apiAddr, "INVENTORY_HTTP_ADDR="+inventoryAddr,
		"PAYMENT_HTTP_ADDR="+testenv.FreeAddr(t), "DATABASE_MAX_CONNS=24")...)
	testenv.WaitHTTP(t, all, apiAddr, "/healthz", http.StatusNoContent)
	testenv.WaitHTTP(t, all, inventoryAddr, "/healthz", http.StatusNoContent)
	h.setStock(inventoryAddr, "BOOK", 5)

	t.Log("orders all answers")
	id, err := h.placeOrder(context.Background(), apiAddr, []item{{SKU: "BOOK", Quantity: 2, UnitPrice: 1299}})
	if err != nil {
		t.Fatal(err)
	}
	testenv.WaitOrdersEnded(t, ordersDB, []string{id}, 90*time.Second)
	t.Log("order ended")
	var status string
	if err := ordersDB.QueryRow(`SELECT status FROM orders WHERE id = $1`, id).Scan(&status); err != nil || status != "confirmed" {
		t.Fatalf("order %s: %q %v, want confirmed", id, status, err)
	}

	inventoryTables := append([]string{"inventory_stock", "inventory_reservations", "inventory_inbox"}, outboxTables(outbox.Inventory)...)
	paymentTables := append([]string{"payments", "payment_gateway_ledger", "payment_inbox"}, outboxTables(outbox.Payment)...)
	ordersTables := append([]string{"order_events", "orders", "order_saga_inbox"}, outboxTables(outbox.Orders)...)
	for _, c := range []struct {
		name       string
		db         *sql.DB
		own, other []string
	}{
		{"orders", ordersDB, ordersTables, append(inventoryTables, paymentTables...)},
		{"inventory", inventoryDB, inventoryTables, append(ordersTables, paymentTables...)},
		{"payment", paymentDB, paymentTables, append(ordersTables, inventoryTables...)},
	} {
		if n := rows(t, c.db, c.own); n == 0 {
			t.Errorf("the %s database: nothing written in its own tables %v", c.name, c.own)
		}
		if n := rows(t, c.db, c.other); n != 0 {
			t.Errorf("the %s database: %d rows in the other services' tables", c.name, n)
		}
	}
	if n := count(t, inventoryDB, `SELECT count(*) FROM inventory_reservations WHERE order_id = $1 AND status = 'held'`, id); n != 1 {
		t.Errorf("the inventory database holds %d reservations of the order, want 1", n)
	}
	if n := count(t, paymentDB, `SELECT count(*) FROM payments WHERE order_id = $1 AND status = 'captured'`, id); n != 1 {
		t.Errorf("the payment database holds %d captured payments of the order, want 1", n)
	}
}

// outboxTables are the message tables of an outbox's shards.
func outboxTables(box outbox.Config) []string {
	var tables []string
	for _, topic := range box.SQLTopics() {
		tables = append(tables, outbox.MessagesTable(topic))
	}
	return tables
}

// rows counts the rows of the tables in db.
func rows(t *testing.T, db *sql.DB, tables []string) int {
	t.Helper()
	total := 0
	for _, table := range tables {
		total += count(t, db, `SELECT count(*) FROM `+table)
	}
	return total
}
