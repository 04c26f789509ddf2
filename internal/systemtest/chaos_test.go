//go:build chaos

package systemtest

import (
	"sync"
	"testing"
	"time"
)

// The chaos scenarios run the whole system as separate OS processes (the
// API, two forwarders, two of each consumer; instance 1 of each behind the
// fault proxies) on a PostgreSQL server and a three-broker Kafka cluster
// of their own, drive orders over HTTP at a steady rate, inject faults
// (SIGKILLs, a broker killed, Kafka stopped, PostgreSQL restarted, a long
// transaction, a slowed and a frozen process, network cuts through the
// proxies), let the system settle and check the invariants. They stop
// and restart their services, so they run behind the chaos tag on
// services of their own: `make chaos` (every scenario, the table written
// to docs/reliability.md) and `make chaos-short` (scripts/chaos.sh).

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
// orders come in, lets it settle and checks the outcome (outcome_test.go).
// Pick scenarios with -run 'TestChaos/(kill|leader)$'.
func TestChaos(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			h := newChaosRun(t)
			h.run(sc.faults)
			o := h.outcome(sc.name)
			o.passed = !t.Failed()
			report(o)
		})
	}
}

// chaosRun is one scenario's system, load and measurements.
type chaosRun struct {
	t     *testing.T
	s     chaosScale
	svc   services
	tp    *topology
	load  *load
	stock map[string]int64

	mu         sync.Mutex
	recoveries chan recovery
	pending    int
	started    time.Time
}

func newChaosRun(t *testing.T) *chaosRun {
	svc := ownServices(t)
	h := &chaosRun{t: t, s: runScale().chaos, svc: svc, recoveries: make(chan recovery, 64)}
	h.tp = newTopology(t, svc)
	h.stock = stockUp(t, h.tp.db, 20)
	h.tp.startMembers()
	h.tp.waitForMembers(2, 3*time.Minute)
	return h
}

// run drives orders through warm-up, the faults and a cool-down, then
// waits until every acknowledged order ended and every recovery is known.
func (h *chaosRun) run(faults []fault) {
	stopSupervisor := make(chan struct{})
	go h.tp.supervise(stopSupervisor)
	defer close(stopSupervisor)
	h.started = time.Now()
	h.load = startLoad(h.tp.client, h.tp.apiAddr, skusOf(h.stock), h.s.rate)
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
func (h *chaosRun) recovered(fault string) {
	h.t.Logf("fault over: %s", fault)
	h.mu.Lock()
	h.pending++
	h.mu.Unlock()
	watchRecovery(h.tp.db, fault, h.load.ackedSoFar(), h.s.settle, h.recoveries)
}

// settle waits for every acknowledged order to end (or h.s.settle).
func (h *chaosRun) settle() {
	deadline := time.Now().Add(h.s.settle)
	for {
		open, err := openOrders(h.tp.db, h.load.acked)
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
