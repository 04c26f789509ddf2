//go:build chaos

package chaostest

import (
	"context"
	"database/sql"
	"encoding/json"
	"sort"
	"time"

	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/kafka"
)

// count is a distinct and a duplicate count.
type count struct{ distinct, duplicate int }

// outcome is what a scenario's checks found.
type outcome struct {
	scenario      string
	acked, failed int // placements answered 201, and not
	storedUnacked int // orders stored whose placement got no 201 (a timeout after the commit, say)
	events        int // in the event store, of every stored order
	kafka         map[string]count
	effects       map[string]count
	lost          int
	doubles       int
	misordered    int
	notEnded      int
	stockOff      int // SKUs whose reserved is not the sum of their live reservations
	paymentOff    int64
	parked        int
	exits         []string
	recoveries    []recovery
	took          time.Duration
	passed        bool
}

// envelopeOf is what the checks read of a record's payload.
type envelopeOf struct {
	EventID   string `json:"event_id"`
	EventType string `json:"event_type"`
	OrderID   string `json:"order_id"`
	Version   int    `json:"version"`
}

// outcome runs the checks, reports each one off target as an error and
// returns the figures.
func (h *harness) outcome(scenario string) outcome {
	o := outcome{scenario: scenario, acked: len(h.load.acked), failed: h.load.failures,
		kafka: map[string]count{}, effects: map[string]count{}, took: time.Since(h.started)}
	h.tp.mu.Lock()
	o.exits = append(o.exits, h.tp.exits...)
	h.tp.mu.Unlock()
	for range h.pending {
		o.recoveries = append(o.recoveries, <-h.recoveries)
	}
	acked := pq.Array(h.load.acked)
	o.storedUnacked = h.count(`SELECT count(*) FROM orders WHERE NOT id = ANY($1::uuid[])`, acked)
	o.events = h.count(`SELECT count(*) FROM order_events`)

	// Lost: an acknowledged order missing from the event store, or an
	// event of the store missing from Kafka.
	o.lost = h.count(`SELECT count(*) FROM unnest($1::uuid[]) a(id) WHERE NOT EXISTS
		(SELECT FROM order_events e WHERE e.stream_id = a.id AND e.event_type = 'OrderPlaced')`, acked)
	// The last events of an order (OrderConfirmed, OrderCancelled) cause
	// nothing downstream: the order ends before the relay sent them. What
	// the relay has not sent within the settle timeout is lost.
	var byTopic map[string][]kafka.Record
	missing := 0
	for deadline := time.Now().Add(h.s.settle); ; time.Sleep(5 * time.Second) {
		byTopic, missing = h.readTopics(&o)
		if missing == 0 || time.Now().After(deadline) {
			break
		}
	}
	o.lost += missing

	// Effects per consumer: a distinct one per order and kind; another of
	// the same kind for the same order is a double effect.
	o.effects["inventory"] = h.effectsOnTopic(byTopic["inventory"])
	o.effects["payment"] = h.effectsOnTopic(byTopic["payments"])
	o.effects["gateway"] = h.pairs(`SELECT order_id, kind FROM payment_gateway_ledger`)
	o.effects["saga"] = h.pairs(`SELECT stream_id::text, event_type FROM order_events WHERE event_type <> 'OrderPlaced'`)
	for _, c := range o.effects {
		o.doubles += c.duplicate
	}

	o.misordered = misorderedOnKafka(h, byTopic["orders"]) + h.misorderedFirstDeliveries()
	o.notEnded, _ = openOrders(h.db, h.load.acked)
	o.stockOff = h.count(`SELECT count(*) FROM inventory_stock s LEFT JOIN (
		SELECT l->>'sku' AS sku, sum((l->>'quantity')::bigint) AS q FROM inventory_reservations r, jsonb_array_elements(r.lines) l
		WHERE r.status = 'held' GROUP BY 1) live ON live.sku = s.sku
		WHERE s.reserved <> coalesce(live.q, 0) OR s.on_hand <> $1`, onHand)
	if err := h.db.QueryRow(`SELECT
		(SELECT coalesce(sum(amount), 0) FROM payment_gateway_ledger WHERE kind = 'charge' AND outcome = 'captured')
		- (SELECT coalesce(sum(amount), 0) FROM payment_gateway_ledger WHERE kind = 'refund')
		- (SELECT coalesce(sum(total), 0) FROM orders WHERE status = 'confirmed')`).Scan(&o.paymentOff); err != nil {
		h.t.Fatal(err)
	}
	o.parked = h.count(`SELECT (SELECT count(*) FROM inventory_parked_messages) + (SELECT count(*) FROM payment_parked_messages)
		+ (SELECT count(*) FROM order_saga_parked_messages)`)
	h.judge(o)
	return o
}

// readTopics reads the three topics, counts their records in o and
// returns them with the number of events of the store missing on Kafka.
func (h *harness) readTopics(o *outcome) (map[string][]kafka.Record, int) {
	onKafka := map[string]bool{}
	byTopic := map[string][]kafka.Record{}
	for label, variable := range map[string]string{"orders": "ORDERS_TOPIC", "inventory": "INVENTORY_TOPIC", "payments": "PAYMENTS_TOPIC"} {
		records := h.read(h.tp.value(variable))
		byTopic[label] = records
		seen := map[string]bool{}
		for _, r := range records {
			seen[h.envelope(r).EventID] = true
			onKafka[h.envelope(r).EventID] = true
		}
		o.kafka[label] = count{distinct: len(seen), duplicate: len(records) - len(seen)}
	}
	missing := 0
	h.each(`SELECT event_id::text FROM order_events`, func(rows *sql.Rows) error {
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

// judge reports every figure off its target.
func (h *harness) judge(o outcome) {
	for what, n := range map[string]int64{
		"lost": int64(o.lost), "double effects": int64(o.doubles), "ordering violations": int64(o.misordered),
		"acknowledged orders not in an end state": int64(o.notEnded), "SKUs whose stock does not add up": int64(o.stockOff),
		"captured - refunded - confirmed totals": o.paymentOff, "parked messages": int64(o.parked),
	} {
		if n != 0 {
			h.t.Errorf("%s: %d, want 0", what, n)
		}
	}
	if o.acked == 0 {
		h.t.Error("no order was acknowledged")
	}
	for _, r := range o.recoveries {
		if !r.done {
			h.t.Errorf("no recovery within %s after: %s", h.s.settle, r.fault)
		}
	}
}

// misorderedOnKafka counts the orders whose events, in their first
// occurrence on the orders topic, do not come in version order.
func misorderedOnKafka(h *harness, records []kafka.Record) int {
	sort.SliceStable(records, func(i, j int) bool {
		if records[i].Partition != records[j].Partition {
			return records[i].Partition < records[j].Partition
		}
		return records[i].Offset < records[j].Offset
	})
	seen, last, bad := map[string]bool{}, map[string]int{}, map[string]bool{}
	for _, r := range records {
		e := h.envelope(r)
		if seen[e.EventID] {
			continue
		}
		seen[e.EventID] = true
		if e.Version <= last[e.OrderID] {
			bad[e.OrderID] = true
		}
		last[e.OrderID] = e.Version
	}
	return len(bad)
}

// misorderedFirstDeliveries counts, per consumer of the order events, the
// orders whose events it first handled out of version order (its inbox
// records when it first handled each).
func (h *harness) misorderedFirstDeliveries() int {
	n := 0
	for _, inbox := range []string{"inventory_inbox", "payment_inbox"} {
		n += h.count(`SELECT count(DISTINCT (consumer, stream_id)) FROM (
			SELECT i.consumer, e.stream_id, e.version,
				lag(e.version) OVER (PARTITION BY i.consumer, e.stream_id ORDER BY i.received_at, e.version) AS previous
			FROM ` + inbox + ` i JOIN order_events e ON e.event_id::text = i.message_id) x WHERE previous > version`)
	}
	return n
}

// effectsOnTopic counts the distinct (order, event type) pairs of the
// records' first occurrences, and the pairs again under another event ID.
func (h *harness) effectsOnTopic(records []kafka.Record) count {
	ids := map[[2]string]map[string]bool{}
	for _, r := range records {
		e := h.envelope(r)
		k := [2]string{e.OrderID, e.EventType}
		if ids[k] == nil {
			ids[k] = map[string]bool{}
		}
		ids[k][e.EventID] = true
	}
	c := count{distinct: len(ids)}
	for _, set := range ids {
		c.duplicate += len(set) - 1
	}
	return c
}

// pairs counts the distinct (a, b) rows of a query and the repeated ones.
func (h *harness) pairs(query string) count {
	c := count{}
	h.scan(query, func(n int) {
		c.distinct++
		c.duplicate += n - 1
	})
	return c
}

func (h *harness) scan(query string, fn func(n int)) {
	h.each(`SELECT count(*) FROM (`+query+`) q(a, b) GROUP BY a, b`, func(rows *sql.Rows) error {
		var n int
		if err := rows.Scan(&n); err != nil {
			return err
		}
		fn(n)
		return nil
	})
}

// each calls fn for every row of query.
func (h *harness) each(query string, fn func(*sql.Rows) error) {
	rows, err := h.db.Query(query)
	if err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		if err := fn(rows); err != nil {
			h.t.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) count(query string, args ...any) int {
	var n int
	if err := h.db.QueryRow(query, args...).Scan(&n); err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// read returns every record of topic.
func (h *harness) read(topic string) []kafka.Record {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var records []kafka.Record
	if err := kafka.ReadTopic(ctx, h.svc.brokers, topic, false, func(r kafka.Record) error {
		records = append(records, r)
		return nil
	}); err != nil {
		h.t.Fatalf("read %s: %v", topic, err)
	}
	return records
}

func (h *harness) envelope(r kafka.Record) envelopeOf {
	var e envelopeOf
	if err := json.Unmarshal(r.Value, &e); err != nil || e.EventID == "" {
		h.t.Errorf("a record of partition %d at offset %d is no event envelope: %v", r.Partition, r.Offset, err)
	}
	return e
}
