//go:build chaos

package systemtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"time"

	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/internal/testenv"
)

// A fault breaks something for a while and returns once it is over; the
// harness then measures the recovery from it. Several may run at once.
type fault func(h *chaosRun)

// sigkills SIGKILLs a random instance of each kind in turn, at random
// moments, each started again a second later.
func sigkills(h *chaosRun) {
	for i := range h.s.kills {
		time.Sleep(time.Duration(1000+rand.IntN(3000)) * time.Millisecond)
		ms := h.tp.of(kinds[i%len(kinds)])
		m := ms[rand.IntN(len(ms))]
		h.tp.kill(m, time.Second)
		h.recovered("SIGKILL " + m.name + ", restarted 1 s later")
	}
}

// leaderKilled SIGKILLs the broker leading partition 0 of the orders
// topic and starts it again after h.s.brokerDown.
func leaderKilled(h *chaosRun) {
	n := h.svc.leaderOf(h.t, h.tp.value("ORDERS_TOPIC"))
	h.svc.script(h.t, "kill-broker", fmt.Sprint(n))
	time.Sleep(h.s.brokerDown)
	took := h.svc.script(h.t, "start-broker", fmt.Sprint(n))
	h.recovered(fmt.Sprintf("leader broker %d SIGKILLed, restarted after %s (+%s to answer)", n, h.s.brokerDown, took.Round(time.Second)))
}

// kafkaStopped stops all three brokers for h.s.outage.
func kafkaStopped(h *chaosRun) {
	stopping := h.svc.script(h.t, "stop-kafka")
	time.Sleep(h.s.outage)
	starting := h.svc.script(h.t, "start-kafka")
	h.recovered(fmt.Sprintf("Kafka cluster stopped (%s to stop), down %s, %s to start", stopping.Round(time.Second), h.s.outage, starting.Round(time.Second)))
}

// postgresRestarted restarts the PostgreSQL server (fast shutdown).
func postgresRestarted(h *chaosRun) {
	took := h.svc.script(h.t, "restart-postgres")
	h.recovered(fmt.Sprintf("PostgreSQL restarted (%s)", took.Round(time.Second)))
}

// longTransaction holds a transaction with a transaction ID open in
// another database of the server: it blocks the server's xmin, the
// bound the forwarder would fall back to without its barrier.
func longTransaction(h *chaosRun) {
	ctx := context.Background()
	other, err := postgres.Open(ctx, testenv.URLFor("orders"))
	if err != nil {
		h.t.Errorf("long transaction: %v", err)
		return
	}
	defer func() { _ = other.Close() }()
	tx, err := other.BeginTx(ctx, nil)
	if err != nil {
		h.t.Errorf("long transaction: %v", err)
		return
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_current_xact_id()`); err != nil {
		h.t.Errorf("long transaction: %v", err)
	}
	time.Sleep(h.s.longTx)
	_ = tx.Rollback()
	h.recovered(fmt.Sprintf("a transaction open %s in another database", h.s.longTx))
}

// slowed slows a process 10x by duty cycling it: stopped (SIGSTOP) 900 ms
// of every second, running 100 ms. It then handles every message ten
// times slower, with no hook in the code under test.
func slowed(name string) fault {
	return func(h *chaosRun) {
		m := h.tp.named(name)
		for end := time.Now().Add(h.s.slow); time.Now().Before(end); {
			h.tp.signal(m, syscall.SIGSTOP)
			time.Sleep(900 * time.Millisecond)
			h.tp.signal(m, syscall.SIGCONT)
			time.Sleep(100 * time.Millisecond)
		}
		h.recovered(fmt.Sprintf("%s slowed 10x (SIGSTOP 900 ms of each second) for %s", name, h.s.slow))
	}
}

// frozen stops a process with SIGSTOP for h.s.freeze, then continues it.
func frozen(name string) fault {
	return func(h *chaosRun) {
		m := h.tp.named(name)
		h.tp.signal(m, syscall.SIGSTOP)
		time.Sleep(h.s.freeze)
		h.tp.signal(m, syscall.SIGCONT)
		h.recovered(fmt.Sprintf("%s frozen (SIGSTOP) for %s", name, h.s.freeze))
	}
}

// kafkaCut cuts instance 1 of the forwarder and of each consumer off Kafka.
func kafkaCut(h *chaosRun) {
	for _, p := range h.tp.kafkaProxy {
		p.Cut()
	}
	time.Sleep(h.s.cut)
	for _, p := range h.tp.kafkaProxy {
		p.Restore()
	}
	h.recovered(fmt.Sprintf("forwarder-1, inventory-1, payment-1, saga-1 cut off Kafka for %s", h.s.cut))
}

// postgresCut cuts instance 1 of the forwarder and of each consumer off PostgreSQL.
func postgresCut(h *chaosRun) {
	h.tp.pgProxy.Cut()
	time.Sleep(h.s.cut)
	h.tp.pgProxy.Restore()
	h.recovered(fmt.Sprintf("forwarder-1, inventory-1, payment-1, saga-1 cut off PostgreSQL for %s", h.s.cut))
}

// together runs faults at once and returns when all are over.
func together(faults ...fault) fault {
	return func(h *chaosRun) {
		done := make(chan struct{}, len(faults))
		for _, f := range faults {
			go func() { f(h); done <- struct{}{} }()
		}
		for range faults {
			<-done
		}
	}
}
