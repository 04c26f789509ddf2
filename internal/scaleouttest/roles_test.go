package scaleouttest

import (
	"context"
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
	s := newSystem(t, 3)
	db, ownerURL := testenv.EmptyDBWithURL(t)
	if out, err := s.run([]string{"DATABASE_URL=" + ownerURL}, "migrate"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	apiAddr, inventoryAddr := testenv.FreeAddr(t), testenv.FreeAddr(t)
	all := s.start("orders all", "all",
		"DATABASE_URL="+testenv.RoleURL(t, ownerURL, testenv.ServiceRoles["orders"]),
		"INVENTORY_DATABASE_URL="+testenv.RoleURL(t, ownerURL, testenv.ServiceRoles["inventory"]),
		"PAYMENT_DATABASE_URL="+testenv.RoleURL(t, ownerURL, testenv.ServiceRoles["payment"]),
		"HTTP_ADDR="+apiAddr, "INVENTORY_HTTP_ADDR="+inventoryAddr, "PAYMENT_HTTP_ADDR="+testenv.FreeAddr(t), "DATABASE_MAX_CONNS=24")
	s.waitHTTP(all, apiAddr, "/healthz")
	s.waitHTTP(all, inventoryAddr, "/healthz")
	s.setStock(inventoryAddr, "BOOK", 5)

	id, err := s.placeOrder(context.Background(), apiAddr, []item{{SKU: "BOOK", Quantity: 2, UnitPrice: 1299}})
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
