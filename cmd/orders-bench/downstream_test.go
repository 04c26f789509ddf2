package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkDownstream checks the `orders all` section of a smoke run: every
// order confirmed, the consumers caught up, and figures that fit together.
func checkDownstream(t *testing.T, o options, d *downstreamResult, printed string) {
	t.Helper()
	if d == nil {
		t.Fatal("no downstream section")
	}
	b := d.Burst
	if b.Placed != o.BurstOrders || b.Errors > 0 {
		t.Errorf("burst: %d placed, %d failed (%s), want %d placed", b.Placed, b.Errors, b.FirstError, o.BurstOrders)
	}
	if b.Confirmed != b.Placed || b.Settling.NotEnded > 0 {
		t.Errorf("burst: %d confirmed, %d cancelled, %d not ended of %d placed", b.Confirmed, b.Cancelled, b.Settling.NotEnded, b.Placed)
	}
	checkSettling(t, "burst", b.Settling)
	if len(b.endedAt) != b.Placed || b.PlacementRate <= 0 || b.EndToEndRate <= 0 || b.VsPlacement <= 0 || b.VsAPI <= 0 {
		t.Errorf("burst: %d end times, placement %.0f/s, end to end %.0f/s (%.2f, %.2f)", len(b.endedAt), b.PlacementRate, b.EndToEndRate, b.VsPlacement, b.VsAPI)
	}
	if len(b.CPU) != 4 || b.PipelineCPU <= 0 || b.WritePathCPU <= 0 || b.CPURatio <= 0 {
		t.Errorf("burst CPU: %+v, pipeline %.3f, write path %.3f, ratio %.2f", b.CPU, b.PipelineCPU, b.WritePathCPU, b.CPURatio)
	}
	if st, err := os.Stat(b.Profile); err != nil || st.Size() == 0 || !strings.Contains(printed, b.Profile) {
		t.Errorf("burst: the CPU profile of orders all %q is missing, empty or not printed (%v)", b.Profile, err)
	}
	s := d.Statements
	switch {
	case s.Missing != "" && !strings.Contains(printed, s.Missing):
		t.Errorf("pg_stat_statements missing (%s), and the output does not say so", s.Missing)
	case s.Missing == "" && (len(s.Top) == 0 || s.Calls == 0 || s.CommitsPerOrder <= 0 || !strings.Contains(printed, "| statement | calls |")):
		t.Errorf("pg_stat_statements: %d top statements, %d calls, %.1f commits per order, or no table", len(s.Top), s.Calls, s.CommitsPerOrder)
	case s.Missing == "" && (s.WALBytesPerOrder <= 0 || !strings.Contains(printed, "KiB of WAL per confirmed order")):
		t.Errorf("WAL per confirmed order %.0f bytes, or not printed", s.WALBytesPerOrder)
	}

	if len(d.Sustained) != 2 || d.Quiet == nil {
		t.Fatalf("%d sustained rates and quiet %v, want 2 and one", len(d.Sustained), d.Quiet)
	}
	checkCapacity(t, o, d.Capacity)
	checkOrderLimit(t, d.Limit)
	for _, ph := range append([]*sustainedPhase{d.Quiet}, d.Sustained...) {
		if ph.Placed == 0 || ph.Errors > 0 || ph.Confirmed != ph.Placed || ph.Settling.NotEnded > 0 {
			t.Errorf("at %.0f/s: %d placed, %d failed, %d confirmed, %d not ended", ph.Rate, ph.Placed, ph.Errors, ph.Confirmed, ph.Settling.NotEnded)
		}
		checkSettling(t, "sustained", ph.Settling)
		c := ph.ToConfirmed
		if c.Low.N != ph.Placed || c.Estimate.N != ph.Placed || c.High.N != ph.Placed {
			t.Errorf("at %.0f/s: commit → confirmed measured for %d/%d/%d of %d", ph.Rate, c.Low.N, c.Estimate.N, c.High.N, ph.Placed)
		}
		// Per order, low < estimate (the 201 comes after the placing
		// transaction's start) and estimate < high but for the broker's
		// whole milliseconds.
		for _, q := range [][3]time.Duration{{c.Low.P50, c.Estimate.P50, c.High.P50}, {c.Low.P99, c.Estimate.P99, c.High.P99}} {
			if q[1] <= 0 || q[0] > q[1] || q[1] > q[2]+time.Millisecond {
				t.Errorf("at %.0f/s: commit → confirmed low %v, estimate %v, high %v are not in order", ph.Rate, q[0], q[1], q[2])
			}
		}
		if ph.PipelineCPU <= 0 {
			t.Errorf("at %.0f/s: no CPU measured", ph.Rate)
		}
		checkLegs(t, ph)
		checkSteal(t, ph)
		checkBatches(t, fmt.Sprintf("at %.0f/s", ph.Rate), ph.Batches, ph.Confirmed)
	}
	if b.Steal < 0 || b.Steal > 1 {
		t.Errorf("burst: steal %.3f of the machine", b.Steal)
	}
	checkBatches(t, "burst", b.Batches, b.Confirmed)
	if !strings.Contains(printed, "| rate | "+strings.Join(confirmLegs, " | ")+" |") {
		t.Error("the legs of placed → confirmed are not printed")
	}
}

// checkLegs: the legs of placed → confirmed chain one transaction's start
// to the next, so per order they add up to the estimate: none is longer
// than the longest estimate, and together their longest are at least as
// long.
func checkLegs(t *testing.T, ph *sustainedPhase) {
	t.Helper()
	if len(ph.Legs) != len(confirmLegs) {
		t.Fatalf("at %.0f/s: %d legs, want %d", ph.Rate, len(ph.Legs), len(confirmLegs))
	}
	var sumOfMax time.Duration
	for _, l := range ph.Legs {
		if l.Latency.N != ph.ToConfirmed.Estimate.N || l.Latency.P50 <= 0 || l.Latency.Max > ph.ToConfirmed.Estimate.Max {
			t.Errorf("at %.0f/s: leg %s: %d orders, p50 %v, max %v; want %d orders, p50 > 0, max ≤ the estimate's %v",
				ph.Rate, l.Leg, l.Latency.N, l.Latency.P50, l.Latency.Max, ph.ToConfirmed.Estimate.N, ph.ToConfirmed.Estimate.Max)
		}
		sumOfMax += l.Latency.Max
	}
	if sumOfMax < ph.ToConfirmed.Estimate.Max {
		t.Errorf("at %.0f/s: the legs' longest add up to %v, less than the longest estimate %v", ph.Rate, sumOfMax, ph.ToConfirmed.Estimate.Max)
	}
}

// checkBatches checks a phase's batch counts: every consumer of `orders
// all` is there; a batch holds two or more messages, all of them handled;
// and the inventory handled at least each confirmed order's placement.
func checkBatches(t *testing.T, phase string, batches []consumerBatches, confirmed int) {
	t.Helper()
	var names []string
	for _, c := range batches {
		names = append(names, c.Consumer)
		if c.Batched < 2*c.Batches || c.Batched > c.Handled {
			t.Errorf("%s: %s handled %.0f messages, %.0f of them in %.0f batches", phase, c.Consumer, c.Handled, c.Batched, c.Batches)
		}
		if c.Consumer == "inventory" && c.Handled < float64(confirmed) {
			t.Errorf("%s: the inventory handled %.0f messages for %d confirmed orders", phase, c.Handled, confirmed)
		}
	}
	if want := []string{"inventory", "order-saga", "payment"}; !slices.Equal(names, want) {
		t.Errorf("%s: batch counts of %v, want %v", phase, names, want)
	}
}

// checkSteal checks a sustained phase's steal samples: one share of the
// machine per window of its length, rounded.
func checkSteal(t *testing.T, ph *sustainedPhase) {
	t.Helper()
	want := int(math.Round(float64(ph.Duration) / float64(latencyWindow)))
	if len(ph.Steal) != want {
		t.Errorf("at %.0f/s for %v: %d steal samples, want %d", ph.Rate, ph.Duration, len(ph.Steal), want)
	}
	for _, s := range ph.Steal {
		if s < 0 || s > 1 {
			t.Errorf("at %.0f/s: steal %.3f of the machine", ph.Rate, s)
		}
	}
}

func checkSettling(t *testing.T, phase string, s settling) {
	t.Helper()
	if s.AllEnded < 0 || s.LagZero < s.AllEnded || len(s.AtLastPlacement) != len(allConsumers) || totalLag(s.LagLeft) != 0 {
		t.Errorf("%s: every order ended after %v, no lag after %v; lags %v, then %v", phase, s.AllEnded, s.LagZero, s.AtLastPlacement, s.LagLeft)
	}
}

// checkCapacity checks the step search: it ran, each step's verdict
// follows from its figures, and the capacity is the highest rate that held.
func checkCapacity(t *testing.T, o options, c *capacitySearch) {
	t.Helper()
	if c == nil || len(c.Steps) == 0 || len(c.Steps) > o.CapacitySteps {
		t.Fatalf("step search: %+v, want 1 to %d steps", c, o.CapacitySteps)
	}
	var highest float64
	for _, s := range c.Steps {
		ph := s.Phase
		if ph.Placed == 0 || ph.ToConfirmed.Estimate.N == 0 || ph.ToConfirmed.High.N == 0 {
			t.Errorf("step at %.0f/s: %d placed, %d timed, %d timed to Kafka", ph.Rate, ph.Placed, ph.ToConfirmed.Estimate.N, ph.ToConfirmed.High.N)
		}
		timed := 0
		for _, w := range ph.Windows {
			timed += w.N
		}
		if timed != ph.ToConfirmed.Estimate.N || len(ph.Windows) == 0 || len(ph.Windows) > int(o.CapacityStep/latencyWindow)+1 {
			t.Errorf("step at %.0f/s: %d windows of %v time %d orders, want all %d", ph.Rate, len(ph.Windows), latencyWindow, timed, ph.ToConfirmed.Estimate.N)
		}
		checkSteal(t, ph)
		checkBatches(t, fmt.Sprintf("step at %.0f/s", ph.Rate), ph.Batches, ph.Confirmed)
		if s.Held != holds(ph) {
			t.Errorf("step at %.0f/s: held %v, but p99 %v with %d of %d confirmed", ph.Rate, s.Held, ph.ToConfirmed.Estimate.P99, ph.Confirmed, ph.Placed)
		}
		if s.Held {
			highest = max(highest, ph.Rate)
		}
	}
	if c.Capacity != highest {
		t.Errorf("capacity %.0f/s, want the highest rate held, %.0f/s", c.Capacity, highest)
	}
}

// checkOrderLimit checks the pgbench run on one confirmed order: the
// script holds the statements of every service, and it ran.
func checkOrderLimit(t *testing.T, l *orderLimit) {
	t.Helper()
	if l == nil {
		t.Fatal("no pgbench run on one confirmed order")
	}
	for _, want := range []string{"INSERT INTO orders", "inventory_stock", "INSERT INTO payments", "payment_gateway_ledger",
		"order_saga_inbox", "'confirmed'::text", "watermill_inventory_outbox_", "watermill_payment_outbox_", "BEGIN;", "COMMIT;", ":sku1"} {
		if !strings.Contains(l.Script, want) {
			t.Errorf("the confirmed order's script lacks %q", want)
		}
	}
	if l.Transactions < 4 || l.Statements <= l.Transactions || l.Rate <= 0 {
		t.Errorf("confirmed order: %d transactions, %d statements, pgbench %.0f/s", l.Transactions, l.Statements, l.Rate)
	}
}
