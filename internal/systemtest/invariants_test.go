package systemtest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/kafka"
)

// The invariant checker every scenario ends with. checkInvariants holds
// for any run of the order saga: nothing lost (every acknowledged order
// stored, every stored event on Kafka), no double effect, each order's
// events first delivered in version order on Kafka and first handled in
// that order by the consumers, the stock and money equations, every
// order ended, nothing parked. checkEndStates adds, where the scenario
// knows what each order must become, its exact end. checkForwarded is the
// first part for the forwarder alone, on events of (order, version) that a
// scenario wrote to an outbox itself.

// eventTopics are a system's event topics.
type eventTopics struct{ orders, inventory, payments string }

// subject is the system checkInvariants looks at.
type subject struct {
	t       *testing.T
	db      *sql.DB
	brokers []string
	topics  eventTopics
	acked   []string         // the orders whose placement the API acknowledged
	stock   map[string]int64 // each SKU's units on hand before the run
	settle  time.Duration    // how long the last events may still take to reach Kafka
}

// tally is a distinct and a duplicate count.
type tally struct{ distinct, duplicate int }

// invariants are what checkInvariants found: every figure but the counts
// must be 0.
type invariants struct {
	storedUnacked int // orders stored whose placement got no 201 (a timeout after the commit, say)
	events        int // in the event store
	kafka         map[string]tally
	effects       map[string]tally
	lost          int
	doubles       int
	misordered    int
	notEnded      int
	stockOff      int   // SKUs whose on hand or reserved does not add up
	paymentOff    int64 // captured − refunded − totals of the confirmed and shipped orders
	parked        int
}

// envelopeOf is what the checks read of a record's payload.
type envelopeOf struct {
	EventID   string `json:"event_id"`
	EventType string `json:"event_type"`
	OrderID   string `json:"order_id"`
	Version   int    `json:"version"`
}

// checkInvariants reports each invariant off target as an error and
// returns the figures.
func checkInvariants(s subject) invariants {
	s.t.Helper()
	o := invariants{kafka: map[string]tally{}, effects: map[string]tally{}}
	acked := pq.Array(s.acked)
	o.storedUnacked = count(s.t, s.db, `SELECT count(*) FROM orders WHERE NOT id = ANY($1::uuid[])`, acked)
	o.events = count(s.t, s.db, `SELECT count(*) FROM order_events`)

	// Lost: an acknowledged order missing from the event store, or an
	// event of the store missing from Kafka. The last events of an order
	// (OrderConfirmed, OrderCancelled) cause nothing downstream: the order
	// ends before the forwarder sent them. What the forwarder has not sent within
	// s.settle is lost.
	o.lost = count(s.t, s.db, `SELECT count(*) FROM unnest($1::uuid[]) a(id) WHERE NOT EXISTS
		(SELECT FROM order_events e WHERE e.stream_id = a.id AND e.event_type = 'OrderPlaced')`, acked)
	var byTopic map[string][]kafka.Record
	missing := 0
	for deadline := time.Now().Add(s.settle); ; time.Sleep(2 * time.Second) {
		byTopic, missing = s.readTopics(&o)
		if missing == 0 || time.Now().After(deadline) {
			break
		}
	}
	o.lost += missing

	// Effects per consumer: a distinct one per order and kind; another of
	// the same kind for the same order is a double effect.
	o.effects["inventory"] = effectsOnTopic(s.t, byTopic["inventory"])
	o.effects["payment"] = effectsOnTopic(s.t, byTopic["payments"])
	o.effects["gateway"] = pairs(s.t, s.db, `SELECT order_id, kind FROM payment_gateway_ledger`)
	o.effects["saga"] = pairs(s.t, s.db, `SELECT stream_id::text, event_type FROM order_events WHERE event_type <> 'OrderPlaced'`)
	for _, c := range o.effects {
		o.doubles += c.duplicate
	}

	o.misordered = firstDeliveries(s.t, byTopic["orders"]).outOfOrder + misorderedFirstHandlings(s.t, s.db)
	var err error
	if o.notEnded, err = openOrders(s.db, s.acked); err != nil {
		s.t.Fatal(err)
	}
	// Stock: reserved is what the held reservations hold; on hand is the
	// start's less what the committed ones (shipped orders) took.
	skus, units := make([]string, 0, len(s.stock)), make([]int64, 0, len(s.stock))
	for sku, n := range s.stock {
		skus, units = append(skus, sku), append(units, n)
	}
	o.stockOff = count(s.t, s.db, `SELECT count(*) FROM unnest($1::text[], $2::bigint[]) i(sku, on_hand)
		LEFT JOIN inventory_stock s ON s.sku = i.sku
		LEFT JOIN (SELECT l->>'sku' AS sku,
				sum((l->>'quantity')::bigint) FILTER (WHERE r.status = 'held') AS held,
				sum((l->>'quantity')::bigint) FILTER (WHERE r.status = 'committed') AS committed
			FROM inventory_reservations r, jsonb_array_elements(r.lines) l GROUP BY 1) q ON q.sku = i.sku
		WHERE s.sku IS NULL OR s.reserved <> coalesce(q.held, 0) OR s.on_hand <> i.on_hand - coalesce(q.committed, 0)`,
		pq.Array(skus), pq.Array(units))
	if err := s.db.QueryRow(`SELECT
		(SELECT coalesce(sum(amount), 0) FROM payment_gateway_ledger WHERE kind = 'charge' AND outcome = 'captured')
		- (SELECT coalesce(sum(amount), 0) FROM payment_gateway_ledger WHERE kind = 'refund')
		- (SELECT coalesce(sum(total), 0) FROM orders WHERE status IN ('confirmed', 'shipped'))`).Scan(&o.paymentOff); err != nil {
		s.t.Fatal(err)
	}
	o.parked = count(s.t, s.db, `SELECT (SELECT count(*) FROM inventory_parked_messages) + (SELECT count(*) FROM payment_parked_messages)
		+ (SELECT count(*) FROM order_saga_parked_messages)`)

	for what, n := range map[string]int64{
		"lost": int64(o.lost), "double effects": int64(o.doubles), "ordering violations": int64(o.misordered),
		"acknowledged orders not in an end state": int64(o.notEnded), "SKUs whose stock does not add up": int64(o.stockOff),
		"captured - refunded - confirmed and shipped totals": o.paymentOff, "parked messages": int64(o.parked),
	} {
		if n != 0 {
			s.t.Errorf("%s: %d, want 0", what, n)
		}
	}
	if len(s.acked) == 0 {
		s.t.Error("no order was acknowledged")
	}
	return o
}

// readTopics reads the three topics, counts their records in o and
// returns them with the number of events of the store missing on Kafka.
func (s subject) readTopics(o *invariants) (map[string][]kafka.Record, int) {
	onKafka := map[string]bool{}
	byTopic := map[string][]kafka.Record{}
	for label, topic := range map[string]string{"orders": s.topics.orders, "inventory": s.topics.inventory, "payments": s.topics.payments} {
		records := readTopic(s.t, s.brokers, topic)
		byTopic[label] = records
		seen := map[string]bool{}
		for _, r := range records {
			id := envelope(s.t, r).EventID
			seen[id], onKafka[id] = true, true
		}
		o.kafka[label] = tally{distinct: len(seen), duplicate: len(records) - len(seen)}
	}
	missing := 0
	each(s.t, s.db, `SELECT event_id::text FROM order_events`, func(rows *sql.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		if !onKafka[id] {
			missing++
		}
		return nil
	})
	return byTopic, missing
}

// deliveries is what firstDeliveries found on a topic of (order, version)
// events.
type deliveries struct {
	records, duplicates int
	first               map[orderVersion]bool
	outOfOrder          int    // first deliveries that do not follow their order's previous version
	example             string // the first of them
}

type orderVersion struct {
	order   string
	version int
}

// firstDeliveries reads records in Kafka's order (per partition) and
// checks that each order's versions are first delivered 1, 2, 3, …
func firstDeliveries(t *testing.T, records []kafka.Record) deliveries {
	sort.SliceStable(records, func(i, j int) bool {
		if records[i].Partition != records[j].Partition {
			return records[i].Partition < records[j].Partition
		}
		return records[i].Offset < records[j].Offset
	})
	d := deliveries{records: len(records), first: map[orderVersion]bool{}}
	last := map[string]int{}
	for _, r := range records {
		e := envelope(t, r)
		k := orderVersion{e.OrderID, e.Version}
		if d.first[k] {
			d.duplicates++
			continue
		}
		d.first[k] = true
		if e.Version != last[e.OrderID]+1 {
			if d.outOfOrder++; d.outOfOrder == 1 {
				d.example = fmt.Sprintf("%s v%d after v%d", e.OrderID, e.Version, last[e.OrderID])
			}
		}
		last[e.OrderID] = e.Version
	}
	return d
}

// checkForwarded waits until every version of committed (order → last
// version committed) is on topic, or within passed, then fails on a
// missing one or a first delivery out of version order. It returns what
// it read.
func checkForwarded(t *testing.T, brokers []string, topic string, committed map[string]int, within time.Duration) deliveries {
	t.Helper()
	total := 0
	for _, v := range committed {
		total += v
	}
	var d deliveries
	for deadline := time.Now().Add(within); ; time.Sleep(500 * time.Millisecond) {
		d = firstDeliveries(t, readTopic(t, brokers, topic))
		if len(d.first) >= total || time.Now().After(deadline) {
			break
		}
	}
	lost := 0
	for order, last := range committed {
		for v := 1; v <= last; v++ {
			if !d.first[orderVersion{order, v}] {
				lost++
			}
		}
	}
	t.Logf("orders: %d, committed events: %d, records on Kafka: %d, distinct: %d, duplicates: %d, lost: %d, first deliveries out of order: %d",
		len(committed), total, d.records, len(d.first), d.duplicates, lost, d.outOfOrder)
	if lost > 0 {
		t.Errorf("%d of %d committed events never reached Kafka", lost, total)
	}
	if d.outOfOrder > 0 {
		t.Errorf("%d first deliveries out of order, such as %s", d.outOfOrder, d.example)
	}
	if len(d.first) > total {
		t.Logf("%d events on Kafka whose commit reported an error (the commit had gone through)", len(d.first)-total)
	}
	return d
}

// misorderedFirstHandlings counts, per consumer of the order events, the
// orders whose events it first handled out of version order (its inbox
// records when it first handled each).
func misorderedFirstHandlings(t *testing.T, db *sql.DB) int {
	n := 0
	for _, inbox := range []string{"inventory_inbox", "payment_inbox"} {
		n += count(t, db, `SELECT count(DISTINCT (consumer, stream_id)) FROM (
			SELECT i.consumer, e.stream_id, e.version,
				lag(e.version) OVER (PARTITION BY i.consumer, e.stream_id ORDER BY i.received_at, e.version) AS previous
			FROM `+inbox+` i JOIN order_events e ON e.event_id::text = i.message_id) x WHERE previous > version`)
	}
	return n
}

// effectsOnTopic counts the distinct (order, event type) pairs of the
// records' first occurrences, and the pairs again under another event ID.
func effectsOnTopic(t *testing.T, records []kafka.Record) tally {
	ids := map[[2]string]map[string]bool{}
	for _, r := range records {
		e := envelope(t, r)
		k := [2]string{e.OrderID, e.EventType}
		if ids[k] == nil {
			ids[k] = map[string]bool{}
		}
		ids[k][e.EventID] = true
	}
	c := tally{distinct: len(ids)}
	for _, set := range ids {
		c.duplicate += len(set) - 1
	}
	return c
}

// pairs counts the distinct (a, b) rows of a query and the repeated ones.
func pairs(t *testing.T, db *sql.DB, query string) tally {
	c := tally{}
	each(t, db, `SELECT count(*) FROM (`+query+`) q(a, b) GROUP BY a, b`, func(rows *sql.Rows) error {
		var n int
		if err := rows.Scan(&n); err != nil {
			return err
		}
		c.distinct++
		c.duplicate += n - 1
		return nil
	})
	return c
}

// openOrders counts the orders of ids not in an end state.
func openOrders(db *sql.DB, ids []string) (int, error) {
	var open int
	err := db.QueryRow(`SELECT count(*) FROM unnest($1::uuid[]) AS p(id)
		LEFT JOIN orders o ON o.id = p.id WHERE o.status IS NULL OR o.status NOT IN ('confirmed', 'cancelled', 'shipped')`,
		pq.Array(ids)).Scan(&open)
	return open, err
}

// The events of an order that ends each way, in version order from 1.
const (
	confirmedEvents = "OrderPlaced,OrderStockReserved,OrderPaymentCaptured,OrderConfirmed"
	declinedEvents  = "OrderPlaced,OrderStockReserved,OrderPaymentDeclined,OrderCancelled"
)

// checkEndStates asserts, once every order ended, for scenarios whose
// orders end by their total alone: each placed order (and no other) ended
// the way its total says, with its events in lifecycle order at
// contiguous versions, one reservation, one payment and one gateway
// charge; the stock it holds adds up; each effect falls between the
// events that caused it and that it caused.
func checkEndStates(t *testing.T, db *sql.DB, placed map[string]placedOrder, stock map[string]int64) {
	t.Helper()
	want := map[bool]string{
		false: "confirmed|" + confirmedEvents + "|held|captured|charge:captured",
		true:  "cancelled|" + declinedEvents + "|released|declined|charge:declined",
	}
	// count(*) = max(version) with versions unique per stream and from 1: no gap.
	seen, wrong := map[string]bool{}, 0
	each(t, db, `SELECT o.id::text, concat_ws('|', o.status,
			(SELECT CASE WHEN min(version) = 1 AND count(*) = max(version) THEN string_agg(event_type, ',' ORDER BY version)
				ELSE 'versions not contiguous' END FROM order_events e WHERE e.stream_id = o.id),
			(SELECT string_agg(status, ',') FROM inventory_reservations r WHERE r.order_id = o.id),
			(SELECT string_agg(status, ',') FROM payments p WHERE p.order_id = o.id),
			(SELECT string_agg(kind || ':' || outcome, ',') FROM payment_gateway_ledger l WHERE l.order_id = o.id::text))
		FROM orders o`, func(rows *sql.Rows) error {
		var id, got string
		if err := rows.Scan(&id, &got); err != nil {
			return err
		}
		seen[id] = true
		o, ok := placed[id]
		if !ok || got != want[o.declined] {
			if wrong++; wrong <= 5 {
				t.Errorf("order %s (placed by the test: %v, declined: %v): %s, want %s", id, ok, o.declined, got, want[o.declined])
			}
		}
		return nil
	})
	for id := range placed {
		if !seen[id] {
			wrong++
			t.Errorf("order %s was placed but is not stored", id)
		}
	}
	if len(seen) != len(placed) || wrong > 0 {
		t.Errorf("%d orders stored, %d placed; %d ended wrong or with a missing or double effect", len(seen), len(placed), wrong)
	}
	checkHeldStock(t, db, placed, stock)
	checkEffectsFollowEvents(t, db)
}

// checkHeldStock: on hand unchanged; reserved is the sum of the confirmed
// orders' quantities (the declined ones' were released).
func checkHeldStock(t *testing.T, db *sql.DB, placed map[string]placedOrder, stock map[string]int64) {
	t.Helper()
	reserved := map[string]int64{}
	for _, o := range placed {
		for _, it := range o.items {
			if !o.declined {
				reserved[it.SKU] += it.Quantity
			}
		}
	}
	for sku, start := range stock {
		var have, held int64
		if err := db.QueryRow(`SELECT on_hand, reserved FROM inventory_stock WHERE sku = $1`, sku).Scan(&have, &held); err != nil {
			t.Fatal(err)
		}
		if have != start || held != reserved[sku] {
			t.Errorf("%s: on hand %d, reserved %d; want %d and %d", sku, have, held, start, reserved[sku])
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

// each calls fn for every row of query.
func each(t *testing.T, db *sql.DB, query string, fn func(*sql.Rows) error, args ...any) {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(strings.Fields(query), " "), err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		if err := fn(rows); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// readTopic returns every record of topic.
func readTopic(t *testing.T, brokers []string, topic string) []kafka.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var records []kafka.Record
	if err := kafka.ReadTopic(ctx, brokers, topic, false, func(r kafka.Record) error {
		records = append(records, r)
		return nil
	}); err != nil {
		t.Fatalf("read %s: %v", topic, err)
	}
	return records
}

func envelope(t *testing.T, r kafka.Record) envelopeOf {
	var e envelopeOf
	if err := json.Unmarshal(r.Value, &e); err != nil || e.EventID == "" {
		t.Errorf("a record of partition %d at offset %d is no event envelope: %v", r.Partition, r.Offset, err)
	}
	return e
}
