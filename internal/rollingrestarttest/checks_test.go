package rollingrestarttest

import (
	"database/sql"
	"testing"
)

// checkOnce: each placed order (and no other) ended the way its total
// says, with its events in lifecycle order at contiguous versions, one
// reservation, one payment and one gateway charge: no message was lost
// or applied twice across the restarts.
func checkOnce(t *testing.T, db *sql.DB, placed map[string]bool) {
	t.Helper()
	want := map[bool]string{
		false: "confirmed|OrderPlaced,OrderStockReserved,OrderPaymentCaptured,OrderConfirmed|held|captured|charge:captured",
		true:  "cancelled|OrderPlaced,OrderStockReserved,OrderPaymentDeclined,OrderCancelled|released|declined|charge:declined",
	}
	rows, err := db.Query(`SELECT o.id::text, concat_ws('|', o.status,
			(SELECT CASE WHEN min(version) = 1 AND count(*) = max(version) THEN string_agg(event_type, ',' ORDER BY version)
				ELSE 'versions not contiguous' END FROM order_events e WHERE e.stream_id = o.id),
			(SELECT string_agg(status, ',') FROM inventory_reservations r WHERE r.order_id = o.id),
			(SELECT string_agg(status, ',') FROM payments p WHERE p.order_id = o.id),
			(SELECT string_agg(kind || ':' || outcome, ',') FROM payment_gateway_ledger l WHERE l.order_id = o.id::text))
		FROM orders o`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	seen, wrong := 0, 0
	for rows.Next() {
		var id, got string
		if err := rows.Scan(&id, &got); err != nil {
			t.Fatal(err)
		}
		seen++
		declined, ok := placed[id]
		if !ok || got != want[declined] {
			if wrong++; wrong <= 5 {
				t.Errorf("order %s (placed by the test: %v, declined: %v): %s, want %s", id, ok, declined, got, want[declined])
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != len(placed) || wrong > 0 {
		t.Errorf("%d orders stored, %d placed; %d ended wrong or with a missing or double effect", seen, len(placed), wrong)
	}
}
