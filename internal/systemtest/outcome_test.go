//go:build chaos

package systemtest

import "time"

// outcome is what a chaos scenario's checks found, a row of the table.
type outcome struct {
	scenario      string
	acked, failed int // placements answered 201, and not
	invariants
	exits      []string
	recoveries []recovery
	took       time.Duration
	passed     bool
}

// outcome runs the invariant checker, reports each figure off target and
// each fault with no recovery as an error, and returns the figures.
func (h *chaosRun) outcome(scenario string) outcome {
	o := outcome{scenario: scenario, acked: len(h.load.acked), failed: h.load.failures, took: time.Since(h.started)}
	h.tp.mu.Lock()
	o.exits = append(o.exits, h.tp.exits...)
	h.tp.mu.Unlock()
	for range h.pending {
		o.recoveries = append(o.recoveries, <-h.recoveries)
	}
	o.invariants = checkInvariants(subject{t: h.t, db: h.tp.db, brokers: h.svc.brokers, topics: h.tp.topics(),
		acked: h.load.acked, stock: h.stock, settle: h.s.settle})
	for _, r := range o.recoveries {
		if !r.done {
			h.t.Errorf("no recovery within %s after: %s", h.s.settle, r.fault)
		}
	}
	return o
}
