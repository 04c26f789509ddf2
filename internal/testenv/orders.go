package testenv

import (
	"database/sql"
	"strings"
	"testing"
	"time"
)

// WaitOrdersEnded waits until every order in ids is confirmed or
// cancelled, failing the test after within.
func WaitOrdersEnded(t testing.TB, db *sql.DB, ids []string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var open int
		if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM unnest($1::uuid[]) AS p(id) LEFT JOIN orders o ON o.id = p.id
			WHERE o.status IS NULL OR o.status NOT IN ('confirmed', 'cancelled')`, "{"+strings.Join(ids, ",")+"}").Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d orders did not reach confirmed or cancelled within %v", open, len(ids), within)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// WaitStockReleased waits until the inventory released the stock of
// every cancelled order (it does so on OrderCancelled, after the order
// ended); after within it reports an error and returns.
func WaitStockReleased(t testing.TB, db *sql.DB, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var held int
		if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM inventory_reservations r JOIN orders o ON o.id = r.order_id
			WHERE o.status = 'cancelled' AND r.status = 'held'`).Scan(&held); err != nil {
			t.Fatal(err)
		}
		if held == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("the stock of %d cancelled orders is still held after %v", held, within)
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}
