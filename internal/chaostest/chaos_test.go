//go:build chaos

package chaostest

import (
	"database/sql"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// scale is the size of a run: -short for the version `make test` runs.
type scale struct {
	rate                  int // orders per second
	warmup, gap, cooldown time.Duration
	kills                 int
	brokerDown, outage    time.Duration
	longTx, slow, freeze  time.Duration
	cut                   time.Duration
	settle                time.Duration // the most each order may take to end after the last fault
}

func runScale() scale {
	if testing.Short() {
		return scale{rate: 5, warmup: 5 * time.Second, gap: 3 * time.Second, cooldown: 5 * time.Second, kills: 5,
			brokerDown: 10 * time.Second, outage: 10 * time.Second, longTx: 15 * time.Second, slow: 15 * time.Second,
			freeze: 10 * time.Second, cut: 10 * time.Second, settle: 5 * time.Minute}
	}
	return scale{rate: 10, warmup: 15 * time.Second, gap: 10 * time.Second, cooldown: 15 * time.Second, kills: 10,
		brokerDown: 30 * time.Second, outage: 30 * time.Second, longTx: 60 * time.Second, slow: 60 * time.Second,
		freeze: 30 * time.Second, cut: 30 * time.Second, settle: 10 * time.Minute}
}

// scenarios: each fault alone, then all of them in one run.
var scenarios = []struct {
	name   string
	faults []fault
}{
	{"kill", []fault{sigkills}},
	{"leader", []fault{leaderKilled}},
	{"kafka-outage", []fault{kafkaStopped}},
	{"postgres-restart", []fault{postgresRestarted}},
	{"long-transaction", []fault{longTransaction}},
	{"slow-consumer", []fault{slowed("inventory-1")}},
	{"freeze", []fault{frozen("payment-1")}},
	{"network-cut", []fault{kafkaCut, postgresCut}},
	{"mixed", []fault{
		together(sigkills, longTransaction, slowed("inventory-2")),
		leaderKilled, postgresRestarted, frozen("saga-1"), kafkaCut, postgresCut, kafkaStopped,
	}},
}

// TestChaos runs the whole system under each scenario's faults while
// orders come in, lets it settle and checks the outcome (checks_test.go).
// Pick scenarios with -run 'TestChaos/(kill|leader)$'.
func TestChaos(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			h := newHarness(t)
			h.run(sc.faults)
			o := h.outcome(sc.name)
			o.passed = !t.Failed()
			report(o)
		})
	}
}

// harness is one scenario's system, load and measurements.
type harness struct {
	t      *testing.T
	s      scale
	svc    services
	db     *sql.DB
	tp     *topology
	client *http.Client
	load   *load
	skus   []string

	mu         sync.Mutex
	recoveries chan recovery
	pending    int
	started    time.Time
}

func newHarness(t *testing.T) *harness {
	svc := ownServices(t)
	db, dbURL := testenv.DBWithURL(t)
	h := &harness{t: t, s: runScale(), svc: svc, db: db, recoveries: make(chan recovery, 64)}
	for i := range 20 {
		sku := fmt.Sprintf("SKU-%02d", i)
		if _, err := db.Exec(`INSERT INTO inventory_stock (sku, on_hand) VALUES ($1, $2)`, sku, onHand); err != nil {
			t.Fatal(err)
		}
		h.skus = append(h.skus, sku)
	}
	h.tp = newTopology(t, svc, dbURL)
	h.client = testenv.WithBearer(&http.Client{Timeout: 30 * time.Second}, testenv.OperatorToken(t))
	waitHTTP(t, h.client, h.tp.apiAddr)
	h.tp.waitForMembers(svc.brokers)
	return h
}

// onHand is each SKU's stock: far more than the orders take.
const onHand = 1_000_000

// run drives orders through warm-up, the faults and a cool-down, then
// waits until every acknowledged order ended and every recovery is known.
func (h *harness) run(faults []fault) {
	stopSupervisor := make(chan struct{})
	go h.tp.supervise(stopSupervisor)
	defer close(stopSupervisor)
	h.started = time.Now()
	h.load = startLoad(h.client, h.tp.apiAddr, h.skus, h.s.rate)
	time.Sleep(h.s.warmup)
	for i, f := range faults {
		if i > 0 {
			time.Sleep(h.s.gap)
		}
		f(h)
	}
	time.Sleep(h.s.cooldown)
	h.load.halt()
	h.t.Logf("load: %d acknowledged, %d failed (last: %s)", len(h.load.acked), h.load.failures, h.load.lastErr)
	h.settle()
}

// recovered starts measuring the recovery from a fault that just ended.
func (h *harness) recovered(fault string) {
	h.t.Logf("fault over: %s", fault)
	h.mu.Lock()
	h.pending++
	h.mu.Unlock()
	watchRecovery(h.db, fault, h.load.ackedSoFar(), h.s.settle, h.recoveries)
}

// settle waits for every acknowledged order to end (or h.s.settle).
func (h *harness) settle() {
	deadline := time.Now().Add(h.s.settle)
	for {
		open, err := openOrders(h.db, h.load.acked)
		if err == nil && open == 0 {
			h.t.Logf("all %d acknowledged orders ended, %s after the load began", len(h.load.acked), time.Since(h.started).Round(time.Second))
			return
		}
		if time.Now().After(deadline) {
			h.t.Errorf("%d acknowledged orders did not end within %s of the last order (%v)", open, h.s.settle, err)
			return
		}
		time.Sleep(time.Second)
	}
}

// waitHTTP waits until the API answers.
func waitHTTP(t *testing.T, client *http.Client, addr string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := client.Get("http://" + addr + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API never answered on %s: %v", addr, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
