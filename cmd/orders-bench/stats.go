package main

import (
	"slices"
	"time"
)

func sortDurations(d []time.Duration) { slices.Sort(d) }

// percentile of sorted durations (nearest rank); 0 when there are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// distribution summarises latencies.
type distribution struct {
	N                  int
	P50, P90, P99, Max time.Duration
}

func summarise(d []time.Duration) distribution {
	s := slices.Clone(d)
	slices.Sort(s)
	return distribution{N: len(s), P50: percentile(s, 0.50), P90: percentile(s, 0.90), P99: percentile(s, 0.99), Max: percentile(s, 1)}
}
