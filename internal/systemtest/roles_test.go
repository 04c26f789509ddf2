package systemtest

import (
	"context"
	"database/sql"
	"net/http"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// TestServicesRunAsTheirOwnRoles migrates a database as its owner and runs
// `orders all` with each service logged in as its own role (orders_app,
// inventory_app, payment_app), as `make run` does: the grants of
// migration 00036 are all the services need to take an order to
// confirmed.
func TestServicesRunAsTheirOwnRoles(t *testing.T) {
	t.Parallel()
	h := newHarness(t, ownDatabases)
	db, all, apiAddr, inventoryAddr := h.startAllAsRoles()
	h.setStock(inventoryAddr, "BOOK", 5)

	id, err := h.placeOrder(context.Background(), apiAddr, []item{{SKU: "BOOK", Quantity: 2, UnitPrice: 1299}})
	if err != nil {
		t.Fatal(err)
	}
	testenv.WaitOrdersEnded(t, db, []string{id}, 90*time.Second)
	var status string
	if err := db.QueryRow(`SELECT status FROM orders WHERE id = $1`, id).Scan(&status); err != nil || status != "confirmed" {
		t.Fatalf("order %s: %q %v, want confirmed", id, status, err)
	}
	if !all.Running() {
		t.Fatal("orders all ended")
	}
}

// ownDatabases is the setup of the scenarios that migrate databases of
// their own and run `orders all` on them.
var ownDatabases = setup{partitions: 3, noDatabase: true, env: []string{"METRICS_ADDR=off", "LOG_LEVEL=info"}}

// startAllAsRoles migrates a fresh database as its owner and starts
// `orders all` on it with each service logged in as its own role, with
// env added; it returns once the order and inventory APIs answer.
func (h *harness) startAllAsRoles(env ...string) (db *sql.DB, all *testenv.Process, apiAddr, inventoryAddr string) {
	h.t.Helper()
	t := h.t
	db, ownerURL := testenv.EmptyDBWithURL(t)
	if out, err := h.run([]string{"DATABASE_URL=" + ownerURL}, "migrate"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	apiAddr, inventoryAddr = testenv.FreeAddr(t), testenv.FreeAddr(t)
	all = h.start("orders all", []string{"all"}, append([]string{
		"DATABASE_URL=" + testenv.RoleURL(t, ownerURL, testenv.ServiceRoles["orders"]),
		"INVENTORY_DATABASE_URL=" + testenv.RoleURL(t, ownerURL, testenv.ServiceRoles["inventory"]),
		"PAYMENT_DATABASE_URL=" + testenv.RoleURL(t, ownerURL, testenv.ServiceRoles["payment"]),
		"HTTP_ADDR=" + apiAddr, "INVENTORY_HTTP_ADDR=" + inventoryAddr, "PAYMENT_HTTP_ADDR=" + testenv.FreeAddr(t), "DATABASE_MAX_CONNS=24",
	}, env...)...)
	testenv.WaitHTTP(t, all, apiAddr, "/healthz", http.StatusNoContent)
	testenv.WaitHTTP(t, all, inventoryAddr, "/healthz", http.StatusNoContent)
	return db, all, apiAddr, inventoryAddr
}
