package scaleouttest

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// onHand is the stock of every SKU in the test: far more than the orders take.
const onHand = 1_000_000

// stockUp stocks n SKUs and returns them.
func stockUp(t *testing.T, db *sql.DB, n int) []string {
	t.Helper()
	var skus []string
	for i := range n {
		sku := fmt.Sprintf("SKU-%02d", i)
		if _, err := db.Exec(`INSERT INTO inventory_stock (sku, on_hand) VALUES ($1, $2)`, sku, onHand); err != nil {
			t.Fatal(err)
		}
		skus = append(skus, sku)
	}
	return skus
}

// The events of an order that ends each way, in version order from 1.
const (
	confirmedEvents = "OrderPlaced,OrderStockReserved,OrderPaymentCaptured,OrderConfirmed"
	declinedEvents  = "OrderPlaced,OrderStockReserved,OrderPaymentDeclined,OrderCancelled"
)

// check asserts, once every order ended: each ended the way its total
// says; its events are contiguous versions in lifecycle order; the
// inventory reserved it once and the gateway charged it once; the stock
// adds up; and each effect falls between the events that caused it and
// that it caused.
func check(t *testing.T, db *sql.DB, placed map[string]placedOrder, skus []string) {
	t.Helper()
	type state struct{ status, events, reservation, payment, ledger string }
	got := map[string]*state{}
	of := func(id string) *state {
		if got[id] == nil {
			got[id] = &state{}
		}
		return got[id]
	}
	scan(t, db, `SELECT id::text, status FROM orders`, func(id, v string) { of(id).status = v })
	// count(*) = max(version) with versions unique per stream and from 1: no gap.
	scan(t, db, `SELECT stream_id::text, CASE WHEN min(version) = 1 AND count(*) = max(version)
		THEN string_agg(event_type, ',' ORDER BY version) ELSE 'versions not contiguous' END
		FROM order_events GROUP BY stream_id`, func(id, v string) { of(id).events = v })
	scan(t, db, `SELECT order_id::text, string_agg(status, ',') FROM inventory_reservations GROUP BY order_id`,
		func(id, v string) { of(id).reservation = v })
	scan(t, db, `SELECT order_id::text, string_agg(status, ',') FROM payments GROUP BY order_id`,
		func(id, v string) { of(id).payment = v })
	scan(t, db, `SELECT order_id, string_agg(kind || ':' || outcome, ',') FROM payment_gateway_ledger GROUP BY order_id`,
		func(id, v string) { of(id).ledger = v })

	want := map[bool]state{
		false: {status: "confirmed", events: confirmedEvents, reservation: "held", payment: "captured", ledger: "charge:captured"},
		true:  {status: "cancelled", events: declinedEvents, reservation: "released", payment: "declined", ledger: "charge:declined"},
	}
	wrong := 0
	for id, o := range placed {
		if g := got[id]; g == nil || *g != want[o.declined] {
			if wrong++; wrong <= 5 {
				t.Errorf("order %s (declined: %v): got %+v, want %+v", id, o.declined, g, want[o.declined])
			}
		}
	}
	if len(got) != len(placed) {
		t.Errorf("records of %d orders, %d placed", len(got), len(placed))
	}
	if wrong > 0 {
		t.Errorf("%d of %d orders ended wrong or with a double or missing effect", wrong, len(placed))
	}

	checkStock(t, db, placed, skus)
	checkEffectsFollowEvents(t, db)
	for _, table := range []string{"inventory_parked_messages", "payment_parked_messages", "order_saga_parked_messages"} {
		if n := count(t, db, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%s: %d parked messages", table, n)
		}
	}
}

// checkStock: on hand unchanged; reserved is the sum of the confirmed
// orders' quantities (the declined ones' were released).
func checkStock(t *testing.T, db *sql.DB, placed map[string]placedOrder, skus []string) {
	t.Helper()
	reserved := map[string]int64{}
	for _, o := range placed {
		for _, it := range o.items {
			if !o.declined {
				reserved[it.SKU] += it.Quantity
			}
		}
	}
	for _, sku := range skus {
		var have, held int64
		if err := db.QueryRow(`SELECT on_hand, reserved FROM inventory_stock WHERE sku = $1`, sku).Scan(&have, &held); err != nil {
			t.Fatal(err)
		}
		if have != onHand || held != reserved[sku] {
			t.Errorf("%s: on hand %d, reserved %d; want %d and %d", sku, have, held, onHand, reserved[sku])
		}
	}
}

// checkEffectsFollowEvents compares the transactions' start times: a
// reservation's transaction starts after the OrderPlaced it handles and
// before the OrderStockReserved it causes; the charge after
// OrderStockReserved and before the payment's outcome; a release after
// OrderCancelled.
func checkEffectsFollowEvents(t *testing.T, db *sql.DB) {
	t.Helper()
	at := func(eventType string) string {
		return `(SELECT recorded_at FROM order_events e WHERE e.stream_id = r.order_id AND e.event_type = '` + eventType + `')`
	}
	violations := map[string]string{
		"a reservation outside OrderPlaced → OrderStockReserved": `SELECT count(*) FROM inventory_reservations r
			WHERE NOT (r.created_at > ` + at("OrderPlaced") + ` AND r.created_at < ` + at("OrderStockReserved") + `)`,
		"a charge outside OrderStockReserved → its outcome": `SELECT count(*) FROM (SELECT order_id::uuid, created_at FROM payment_gateway_ledger) r
			WHERE NOT (r.created_at > ` + at("OrderStockReserved") + ` AND r.created_at < coalesce(` +
			at("OrderPaymentCaptured") + `, ` + at("OrderPaymentDeclined") + `))`,
		"a release before OrderCancelled": `SELECT count(*) FROM inventory_reservations r
			WHERE r.status = 'released' AND NOT r.updated_at > ` + at("OrderCancelled"),
	}
	for what, query := range violations {
		if n := count(t, db, query); n != 0 {
			t.Errorf("%d times %s", n, what)
		}
	}
}

// scan runs a query of (key, value) rows and calls fn for each.
func scan(t *testing.T, db *sql.DB, query string, fn func(key, value string)) {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(strings.Fields(query), " "), err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		fn(k, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
