package systemtest

import (
	"database/sql"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// The 200-order scenario. Every order is one of three kinds:
//
//   - plain: one to three lines of BOOK, PEN, MUG, all well stocked, under
//     the decline limit: confirmed;
//   - scarce: one SCARCE and one PEN; SCARCE has 15 units for 40 orders, so
//     25 of them are cancelled out_of_stock (which ones depends on timing);
//   - pricey: one MUG at 60000 twice, above the gateway's limit: stock is
//     reserved, the charge declined, the order cancelled payment_declined
//     and the stock released.
//
// Then 20 confirmed plain orders ship and 20 others are cancelled by their
// customer (refunded, stock released).
const (
	orderCount  = 200
	scarceEvery = 5  // orders 0, 5, 10, … (40 of them)
	priceyEvery = 10 // orders 3, 13, 23, … (20 of them)
	scarceStock = 15
	plentyStock = 10_000
	toShip      = 20
	toCancel    = 20
)

var sagaSKUs = []string{"BOOK", "PEN", "MUG", "SCARCE"}

type line struct {
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
}

type sagaOrder struct {
	ID    string
	Kind  string
	Lines []line
}

func orderLines(i int) (kind string, lines []line) {
	switch {
	case i%scarceEvery == 0:
		return "scarce", []line{{"SCARCE", 1, 2500}, {"PEN", 1, 150}}
	case i%priceyEvery == 3:
		return "pricey", []line{{"MUG", 2, 60_000}}
	default:
		lines = []line{{"BOOK", int64(i%3 + 1), 1299}}
		if i%2 == 1 {
			lines = append(lines, line{"PEN", 2, 150})
		}
		if i%4 == 2 {
			lines = append(lines, line{"MUG", 1, 899})
		}
		return "plain", lines
	}
}

type orderJSON struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	CancelReason string `json:"cancel_reason"`
	PaymentID    string `json:"payment_id"`
	Total        int64  `json:"total"`
}

// summary is the end state of a run, in terms that do not depend on which
// scarce order won the race: it must be the same with duplicate delivery.
type summary struct {
	Statuses    map[string]int // status/cancel_reason → orders
	Stock       map[string]stockJSON
	Charges     map[string]int // gateway ledger outcome → count
	Refunds     int
	ChargedSum  int64
	RefundedSum int64
	Payments    map[string]int // payment status → count
	DeadLetters int
}

// TestTwoHundredOrdersEndConfirmedOrCancelled runs the scenario above
// once as it is and once with every message delivered twice, side by
// side: both must end in the same state.
func TestTwoHundredOrdersEndConfirmedOrCancelled(t *testing.T) {
	t.Parallel()
	results := make([]summary, 2)
	t.Run("group", func(t *testing.T) {
		t.Run("once", func(t *testing.T) {
			t.Parallel()
			results[0] = runScenario(t, options{})
		})
		t.Run("every message twice", func(t *testing.T) {
			t.Parallel()
			results[1] = runScenario(t, options{duplicateDelivery: true})
		})
	})
	if t.Failed() {
		return
	}
	if !reflect.DeepEqual(results[0], results[1]) {
		t.Errorf("end states differ with duplicate delivery:\nonce:  %+v\ntwice: %+v", results[0], results[1])
	}
	t.Logf("both runs end in the same state: %+v", results[0])
}

func runScenario(t *testing.T, opts options) summary {
	s := startInProcess(t, opts)
	for _, sku := range sagaSKUs[:3] {
		s.setStock(t, sku, plentyStock)
	}
	s.setStock(t, "SCARCE", scarceStock)
	started := time.Now()

	// Place the orders concurrently, 25 requests at a time.
	orders := make([]sagaOrder, orderCount)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 25)
	for i := range orderCount {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			kind, lines := orderLines(i)
			var o orderJSON
			st := call(t, s.client, http.MethodPost, s.OrdersURL+"/orders", map[string]string{"X-Correlation-ID": fmt.Sprintf("corr-%03d", i)},
				map[string]any{"customer_id": fmt.Sprintf("customer-%d", i%17), "currency": "EUR", "items": lines}, &o)
			if st != http.StatusCreated {
				t.Errorf("order %d: status %d", i, st)
			}
			orders[i] = sagaOrder{ID: o.ID, Kind: kind, Lines: lines}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	placedIn := time.Since(started)

	// Every order reaches confirmed or cancelled.
	testenv.WaitFor(t, 90*time.Second, "every order confirmed or cancelled", func() (bool, string) {
		counts := s.statusCounts(t)
		return counts["confirmed"]+counts["cancelled"] == orderCount, fmt.Sprint(counts)
	})
	settledIn := time.Since(started)

	// Ship some confirmed plain orders, cancel others.
	status := s.orderStatuses(t)
	var shipped, cancelledAfterCapture []string
	for _, o := range orders {
		if o.Kind != "plain" || status[o.ID].Status != "confirmed" {
			continue
		}
		switch {
		case len(shipped) < toShip:
			if st := call(t, s.client, http.MethodPost, s.OrdersURL+"/orders/"+o.ID+"/ship", nil, nil, nil); st != http.StatusOK {
				t.Errorf("ship %s: status %d", o.ID, st)
			}
			shipped = append(shipped, o.ID)
		case len(cancelledAfterCapture) < toCancel:
			if st := call(t, s.client, http.MethodPost, s.OrdersURL+"/orders/"+o.ID+"/cancel", nil, map[string]string{"reason": "changed my mind"}, nil); st != http.StatusOK {
				t.Errorf("cancel %s: status %d", o.ID, st)
			}
			cancelledAfterCapture = append(cancelledAfterCapture, o.ID)
		}
	}
	if len(shipped) != toShip || len(cancelledAfterCapture) != toCancel {
		t.Fatalf("only %d confirmed plain orders to ship and %d to cancel", len(shipped), len(cancelledAfterCapture))
	}

	// The compensations and commits happen.
	testenv.WaitFor(t, 60*time.Second, "refunds of the cancelled orders and stock commits of the shipped ones", func() (bool, string) {
		var refunded, committed, held int
		err := s.DB.QueryRow(`SELECT
			(SELECT count(*) FROM payments WHERE status = 'refunded'),
			(SELECT count(*) FROM inventory_reservations WHERE status = 'committed'),
			(SELECT count(*) FROM inventory_reservations WHERE status = 'held')`).Scan(&refunded, &committed, &held)
		if err != nil {
			t.Fatal(err)
		}
		counts := s.statusCounts(t)
		return refunded == toCancel && committed == toShip && held == counts["confirmed"],
			fmt.Sprintf("refunded %d, committed %d, held %d, orders %v", refunded, committed, held, counts)
	})
	doneIn := time.Since(started)

	final := s.orderStatuses(t)
	s.checkEndState(t, orders, final, cancelledAfterCapture)
	s.checkCorrelation(t, orders)
	acked := make([]string, len(orders))
	for i, o := range orders {
		acked[i] = o.ID
	}
	checkInvariants(subject{t: t, db: s.DB, brokers: s.Brokers, acked: acked, settle: time.Minute,
		topics: eventTopics{orders: s.OrdersTopic, inventory: s.InventoryTopic, payments: s.PayTopic},
		stock:  map[string]int64{"BOOK": plentyStock, "PEN": plentyStock, "MUG": plentyStock, "SCARCE": scarceStock}})

	sum := s.summarise(t, final)
	t.Logf("duplicate delivery %v: %d orders placed over HTTP in %v, all confirmed or cancelled after %v, compensations done after %v",
		opts.duplicateDelivery, orderCount, placedIn.Round(time.Millisecond), settledIn.Round(time.Millisecond), doneIn.Round(time.Millisecond))
	t.Logf("end state: %+v", sum)
	return sum
}

type orderState struct {
	Status, Reason string
}

func (s *inProcess) statusCounts(t *testing.T) map[string]int {
	t.Helper()
	counts := map[string]int{}
	each(t, s.DB, `SELECT status, count(*) FROM orders GROUP BY status`, func(rows *sql.Rows) error {
		var st string
		var n int
		err := rows.Scan(&st, &n)
		counts[st] = n
		return err
	})
	return counts
}

func (s *inProcess) orderStatuses(t *testing.T) map[string]orderState {
	t.Helper()
	out := map[string]orderState{}
	each(t, s.DB, `SELECT id, status, cancel_reason FROM orders`, func(rows *sql.Rows) error {
		var id string
		var st orderState
		err := rows.Scan(&id, &st.Status, &st.Reason)
		out[id] = st
		return err
	})
	return out
}

// checkEndState checks the invariants of the saga on the end state.
func (s *inProcess) checkEndState(t *testing.T, orders []sagaOrder, final map[string]orderState, cancelledAfterCapture []string) {
	t.Helper()
	afterCapture := map[string]bool{}
	for _, id := range cancelledAfterCapture {
		afterCapture[id] = true
	}

	// Stock: available = initial − quantities of confirmed and shipped
	// orders; on hand = initial − quantities of shipped ones.
	initial := map[string]int64{"BOOK": plentyStock, "PEN": plentyStock, "MUG": plentyStock, "SCARCE": scarceStock}
	wantAvailable, wantOnHand := map[string]int64{}, map[string]int64{}
	for sku, n := range initial {
		wantAvailable[sku], wantOnHand[sku] = n, n
	}
	for _, o := range orders {
		st := final[o.ID]
		switch st.Status {
		case "confirmed", "shipped":
		case "cancelled":
			continue
		default:
			t.Errorf("order %s (%s) ended %s, want confirmed, shipped or cancelled", o.ID, o.Kind, st.Status)
			continue
		}
		for _, l := range o.Lines {
			wantAvailable[l.SKU] -= l.Quantity
			if st.Status == "shipped" {
				wantOnHand[l.SKU] -= l.Quantity
			}
		}
	}
	for _, sku := range sagaSKUs {
		got := s.stock(t, sku)
		if got.Available != wantAvailable[sku] || got.OnHand != wantOnHand[sku] || got.Reserved != got.OnHand-got.Available {
			t.Errorf("stock of %s = %+v, want %d available and %d on hand", sku, got, wantAvailable[sku], wantOnHand[sku])
		}
	}

	// Payments: the gateway's own ledger says what moved.
	type ledger struct{ captured, declined, refunds int }
	byOrder := map[string]*ledger{}
	each(t, s.DB, `SELECT order_id, kind, outcome FROM payment_gateway_ledger`, func(rows *sql.Rows) error {
		var id, kind, outcome string
		if err := rows.Scan(&id, &kind, &outcome); err != nil {
			return err
		}
		l := byOrder[id]
		if l == nil {
			l = &ledger{}
			byOrder[id] = l
		}
		switch {
		case kind == "refund":
			l.refunds++
		case outcome == "captured":
			l.captured++
		default:
			l.declined++
		}
		return nil
	})
	for _, o := range orders {
		st, l := final[o.ID], byOrder[o.ID]
		if l == nil {
			l = &ledger{}
		}
		var want ledger
		switch {
		case st.Status == "confirmed" || st.Status == "shipped":
			want = ledger{captured: 1}
		case st.Reason == "payment_declined":
			want = ledger{declined: 1}
		case afterCapture[o.ID]:
			want = ledger{captured: 1, refunds: 1}
		case st.Reason == "out_of_stock":
			want = ledger{}
		default:
			t.Errorf("order %s (%s) ended %+v, which the scenario does not produce", o.ID, o.Kind, st)
		}
		if *l != want {
			t.Errorf("order %s (%s, %+v): gateway captured %d, declined %d, refunded %d; want %+v", o.ID, o.Kind, st, l.captured, l.declined, l.refunds, want)
		}
		if o.Kind == "pricey" && st.Reason != "payment_declined" {
			t.Errorf("pricey order %s ended %+v, want cancelled payment_declined", o.ID, st)
		}
		if o.Kind == "plain" && st.Status == "cancelled" && !afterCapture[o.ID] {
			t.Errorf("plain order %s was cancelled: %+v", o.ID, st)
		}
	}
	// One order of each outcome, through the payment API.
	seen := map[string]bool{}
	for _, o := range orders {
		st := final[o.ID]
		key := st.Status + "/" + st.Reason
		if afterCapture[o.ID] {
			key = "refunded"
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		ps := s.payments(t, o.ID)
		if key == "cancelled/out_of_stock" {
			if len(ps) != 0 {
				t.Errorf("GET /payments for a %s order: %+v, want none: its stock was never reserved", key, ps)
			}
			continue
		}
		want := map[string]string{"confirmed/": "captured", "shipped/": "captured", "cancelled/payment_declined": "declined",
			"refunded": "refunded"}[key]
		if len(ps) != 1 || ps[0].Status != want {
			t.Errorf("GET /payments for a %s order: %+v, want one %s", key, ps, want)
		}
	}

	// Nothing failed: the dead-letter topics are empty.
	for _, dlq := range []string{s.InventoryDeadLetter, s.PaymentDeadLetter, s.SagaDeadLetter} {
		if records := readTopic(t, s.Brokers, dlq); len(records) != 0 {
			t.Errorf("%d messages on the dead-letter topic %s: %v", len(records), dlq, records[0].Headers)
		}
	}
}

// checkCorrelation: the correlation ID of the HTTP request that placed
// an order travels through the inventory's event about it.
func (s *inProcess) checkCorrelation(t *testing.T, orders []sagaOrder) {
	t.Helper()
	want := map[string]string{}
	for i, o := range orders {
		want[o.ID] = fmt.Sprintf("corr-%03d", i)
	}
	checked := 0
	for _, r := range readTopic(t, s.Brokers, s.InventoryTopic) {
		if w, ok := want[r.Key]; ok && r.Headers["name"] == "StockReserved" {
			checked++
			if r.Headers["correlation_id"] != w {
				t.Errorf("StockReserved of order %s carries correlation ID %q, want %q", r.Key, r.Headers["correlation_id"], w)
			}
		}
	}
	if checked == 0 {
		t.Errorf("no StockReserved record on %s", s.InventoryTopic)
	}
}

func (s *inProcess) summarise(t *testing.T, final map[string]orderState) summary {
	t.Helper()
	sum := summary{Statuses: map[string]int{}, Stock: map[string]stockJSON{}, Charges: map[string]int{}, Payments: map[string]int{}}
	for _, st := range final {
		sum.Statuses[strings.TrimSuffix(st.Status+"/"+st.Reason, "/")]++
	}
	for _, sku := range sagaSKUs {
		sum.Stock[sku] = s.stock(t, sku)
	}
	err := s.DB.QueryRow(`SELECT
		(SELECT count(*) FROM payment_gateway_ledger WHERE kind = 'refund'),
		(SELECT COALESCE(sum(amount), 0) FROM payment_gateway_ledger WHERE outcome = 'captured'),
		(SELECT COALESCE(sum(amount), 0) FROM payment_gateway_ledger WHERE kind = 'refund')`).Scan(&sum.Refunds, &sum.ChargedSum, &sum.RefundedSum)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql string
		dst map[string]int
	}{
		{`SELECT outcome, count(*) FROM payment_gateway_ledger WHERE kind = 'charge' GROUP BY outcome`, sum.Charges},
		{`SELECT status, count(*) FROM payments GROUP BY status`, sum.Payments},
	} {
		each(t, s.DB, q.sql, func(rows *sql.Rows) error {
			var k string
			var n int
			err := rows.Scan(&k, &n)
			q.dst[k] = n
			return err
		})
	}
	for _, dlq := range []string{s.InventoryDeadLetter, s.PaymentDeadLetter, s.SagaDeadLetter} {
		sum.DeadLetters += len(readTopic(t, s.Brokers, dlq))
	}
	return sum
}
