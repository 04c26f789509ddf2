package main

import (
	"fmt"
	"time"
)

// stealSampler measures, every latencyWindow of a phase's placements, the
// share of the machine's CPU time that the hypervisor gave to other guests
// (steal in /proc/stat). On a shared host that is a slowdown no process of
// the benchmark shows, and the sustained steps' worst windows have followed
// its peaks: the report puts the two side by side.
type stealSampler struct {
	stop, done chan struct{}
	shares     []float64
}

func sampleSteal() *stealSampler {
	s := &stealSampler{stop: make(chan struct{}), done: make(chan struct{})}
	_, stolen := machineTimes()
	last := time.Now()
	sample := func(now time.Time) {
		_, st := machineTimes()
		s.shares = append(s.shares, machineShare(st-stolen, now.Sub(last)))
		stolen, last = st, now
	}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(latencyWindow)
		defer tick.Stop()
		for {
			select {
			case now := <-tick.C:
				sample(now)
			case <-s.stop:
				// The phase's last window, unless the ticker has just
				// taken it.
				if now := time.Now(); now.Sub(last) >= latencyWindow/2 {
					sample(now)
				}
				return
			}
		}
	}()
	return s
}

// end stops the sampler and returns one share per window: the phase's
// length in windows, rounded.
func (s *stealSampler) end() []float64 {
	close(s.stop)
	<-s.done
	return s.shares
}

// stealPeak is the highest window's steal and where it began, e.g. "24% at
// 2m20s".
func stealPeak(shares []float64) string {
	peak := -1
	for i, s := range shares {
		if peak < 0 || s > shares[peak] {
			peak = i
		}
	}
	if peak < 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%% at %s", 100*shares[peak], time.Duration(peak)*latencyWindow)
}
