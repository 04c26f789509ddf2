//go:build chaos

package chaostest

import (
	"testing"
	"time"
)

// scale is the size of a run: -short for the quick version that `make
// test` runs, the full one otherwise.
type scale struct {
	orders, versions int
	rate             time.Duration // between two writes of one writer
	kills            int
	kafkaOutage      time.Duration
}

func runScale(t *testing.T) scale {
	if testing.Short() {
		// The writes take about 1.5 s, so that the kill (at 0.3 s), the
		// outage (from 0.5 s) and the restart (at 0.7 s) happen during them.
		return scale{orders: 200, versions: 3, rate: 50 * time.Millisecond, kills: 1, kafkaOutage: 5 * time.Second}
	}
	return scale{orders: 2000, versions: 3, rate: 5 * time.Millisecond, kills: 8, kafkaOutage: 30 * time.Second}
}

func TestForwarderSurvivesSIGKILL(t *testing.T) {
	h := newHarness(t)
	s := runScale(t)
	h.startForwarder()
	done := h.writeOrders(s)
	for i := range s.kills {
		time.Sleep(time.Duration(300+200*(i%4)) * time.Millisecond)
		h.killForwarder()
		time.Sleep(100 * time.Millisecond)
		h.startForwarder()
	}
	<-done
	h.check(2 * time.Minute)
}

func TestForwarderSurvivesAKafkaOutage(t *testing.T) {
	h := newHarness(t)
	s := runScale(t)
	h.startForwarder()
	done := h.writeOrders(s)
	time.Sleep(500 * time.Millisecond)
	h.services("stop-kafka")
	t.Cleanup(func() { h.services("start-kafka") }) // whatever happens
	time.Sleep(s.kafkaOutage)
	h.services("start-kafka")
	<-done
	h.check(3 * time.Minute)
}

func TestForwarderSurvivesAPostgreSQLRestart(t *testing.T) {
	h := newHarness(t)
	s := runScale(t)
	h.startForwarder()
	done := h.writeOrders(s)
	time.Sleep(700 * time.Millisecond)
	h.services("restart-postgres")
	<-done
	h.check(2 * time.Minute)
}
