package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"
)

// targetCapacityP99 bounds placed → confirmed (the estimate) at p99 for a
// rate to count as sustained (issue 22).
const targetCapacityP99 = time.Second

// capacitySearch is the sustained capacity of `orders all`: the highest
// open-loop rate whose every order ended confirmed, with placed →
// confirmed p99 ≤ targetCapacityP99 over the step, found by a step search.
type capacitySearch struct {
	Start    float64 // the first step's rate, from the burst's end-to-end rate
	Step     time.Duration
	Steps    []capacityStep
	Capacity float64 // the highest rate that held; 0 if none did
	// Stopped says why the search ended before it had narrowed the rate
	// down (a step that did not catch up, the step budget), or is empty.
	Stopped string
}

// capacityStep is one rate of the search.
type capacityStep struct {
	Phase *sustainedPhase
	Held  bool
}

// searchCapacity goes up from start by half while the rate holds (down by
// a third while it does not: a short run has few steps), then bisects between the highest rate that
// held and the lowest that did not, until they are 5% (at least 5/s)
// apart or o.CapacitySteps steps have run. Each step begins once every
// order of the one before has ended and no consumer lags (sustained
// waits), so that no backlog carries over into the next figure.
func (d *downstreamRun) searchCapacity(ctx context.Context, start float64, o options, log io.Writer) (*capacitySearch, error) {
	s := &capacitySearch{Start: roundRate(start), Step: o.CapacityStep}
	fmt.Fprintf(log, "  step search: placed → confirmed p99 ≤ %s for %s per step, from %.0f/s, at most %d steps\n",
		targetCapacityP99, o.CapacityStep, s.Start, o.CapacitySteps)
	var held, failed float64 // the highest rate that held, the lowest that did not
	for rate := s.Start; len(s.Steps) < o.CapacitySteps; {
		ph, err := d.sustained(ctx, rate, o.CapacityStep, o)
		if err != nil {
			return nil, err
		}
		if err := phaseLatencies(ctx, d.db, ph, nil); err != nil {
			return nil, err
		}
		step := capacityStep{Phase: ph, Held: holds(ph)}
		s.Steps = append(s.Steps, step)
		e := ph.ToConfirmed.Estimate
		over, worst := windowsOver(ph.Windows, targetCapacityP99)
		fmt.Fprintf(log, "    %.0f/s: %d placed, %d confirmed, p50 %s, p99 %s (%d of %d %s windows over %s, worst %s; most steal %s; in batches %s); every order ended %s after the last placement: %s\n",
			rate, ph.Placed, ph.Confirmed, ms(e.P50), ms(e.P99), over, len(ph.Windows), latencyWindow, targetCapacityP99, worst, stealPeak(ph.Steal), batchList(ph.Batches), after(ph.Settling.AllEnded), heldOrNot(step.Held))
		if ph.Settling.LagZero < 0 {
			s.Stopped = fmt.Sprintf("%.0f/s had not caught up within %s", rate, o.EndTimeout)
			break
		}
		if step.Held {
			held = max(held, rate)
		} else if failed == 0 || rate < failed {
			failed = rate
		}
		next := nextRate(held, failed, rate)
		if next == 0 {
			break
		}
		if len(s.Steps) == o.CapacitySteps {
			s.Stopped = fmt.Sprintf("the step budget (%d) ran out before %.0f/s", o.CapacitySteps, next)
			break
		}
		rate = next
	}
	s.Capacity = held
	return s, nil
}

// nextRate is the search's next rate after one at rate, or 0 when the
// search is done: held and failed are 5% (5/s) apart, or nothing below
// 5/s held.
func nextRate(held, failed, rate float64) float64 {
	switch {
	case failed == 0:
		return roundRate(rate * 1.5)
	case held == 0:
		next := roundRate(rate * 2 / 3)
		if next >= rate || next < 5 {
			return 0
		}
		return next
	case failed-held <= max(5, 0.05*held):
		return 0
	default:
		next := roundRate((held + failed) / 2)
		if next <= held || next >= failed {
			return 0
		}
		return next
	}
}

// roundRate rounds to 5 orders/s (to 1/s below 20/s), at least 1/s.
func roundRate(r float64) float64 {
	if r < 20 {
		return max(1, math.Round(r))
	}
	return 5 * math.Round(r/5)
}

// holds reports whether a step held: every order placed and ended
// confirmed, and placed → confirmed p99 within the bound.
func holds(ph *sustainedPhase) bool {
	e := ph.ToConfirmed.Estimate
	return ph.Errors == 0 && ph.Settling.NotEnded == 0 && ph.Confirmed == ph.Placed &&
		e.N == ph.Placed && e.P99 <= targetCapacityP99
}

func heldOrNot(held bool) string {
	if held {
		return "held"
	}
	return "not held"
}
