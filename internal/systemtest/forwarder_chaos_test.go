//go:build chaos

package systemtest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orders/internal/testenv"
)

// The forwarder scenarios break the forwarder's world while orders are
// written to the outbox: SIGKILLs of the forwarder process, the Kafka broker
// stopped, PostgreSQL restarted; then every event must be on Kafka, in
// order per order, the duplicates logged. They stop and restart the
// shared services (`make services`), so they run alone, behind the chaos
// tag: `make test` (-short) and `make test-chaos`.

// forwarderEnv are the forwarder scenarios' forwarder settings.
var forwarderEnv = []string{"METRICS_ADDR=off", "FORWARDER_IDLE_POLL_INTERVAL=200ms", "LOG_LEVEL=warn"}

// forwarderUnderWrites starts a forwarder and the writers of runScale's
// forwarder scenario.
func forwarderUnderWrites(t *testing.T) (s forwarderScale, fwd *testenv.Process, w *outboxWriter, written <-chan struct{}) {
	h := newHarness(t, setup{})
	s = runScale().forwarder
	fwd = h.startForwarder("forwarder", forwarderEnv...)
	w = newOutboxWriter(h)
	return s, fwd, w, w.writeOrders(s)
}

func TestForwarderSurvivesSIGKILL(t *testing.T) {
	s, fwd, w, written := forwarderUnderWrites(t)
	for i := range s.kills {
		time.Sleep(time.Duration(300+200*(i%4)) * time.Millisecond)
		fwd.Kill()
		time.Sleep(100 * time.Millisecond)
		fwd = w.h.startForwarder("forwarder", forwarderEnv...)
	}
	<-written
	w.check(2 * time.Minute)
}

func TestForwarderSurvivesAKafkaOutage(t *testing.T) {
	s, _, w, written := forwarderUnderWrites(t)
	time.Sleep(500 * time.Millisecond)
	servicesScript(t, nil, "stop-kafka")
	t.Cleanup(func() { servicesScript(t, nil, "start-kafka") }) // whatever happens
	time.Sleep(s.kafkaOutage)
	servicesScript(t, nil, "start-kafka")
	<-written
	w.check(3 * time.Minute)
}

func TestForwarderSurvivesAPostgreSQLRestart(t *testing.T) {
	_, _, w, written := forwarderUnderWrites(t)
	time.Sleep(700 * time.Millisecond)
	servicesScript(t, nil, "restart-postgres")
	<-written
	w.check(2 * time.Minute)
}

// writeOrders writes s.orders orders of s.versions versions each, from 20
// writers. A version whose commit failed (the database restarting, say)
// is written again as the same message: it may then appear twice on
// Kafka, never be missing.
func (w *outboxWriter) writeOrders(s forwarderScale) <-chan struct{} {
	ids := make(chan string)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for id := range ids {
				for v := 1; v <= s.versions; v++ {
					w.writeAgainUntilCommitted(id, v)
					time.Sleep(s.pause)
				}
			}
		})
	}
	go func() {
		for range s.orders {
			ids <- uuid.NewString()
		}
		close(ids)
		wg.Wait()
		close(done)
	}()
	return done
}

func (w *outboxWriter) writeAgainUntilCommitted(order string, version int) {
	msgID := uuid.NewString()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := w.write(ctx, order, version, msgID)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			w.h.t.Errorf("order %s version %d: not written within 2 minutes: %v", order, version, err)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}
