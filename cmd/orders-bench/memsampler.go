package main

import (
	"sync"
	"time"
)

// memorySampler records the largest resident memory of process groups
// whose own high-water mark does not cover the run (the PostgreSQL server,
// the broker: they were running before it).
type memorySampler struct {
	groups []processGroup
	mu     sync.Mutex
	peaks  []int64
	done   chan struct{}
	wg     sync.WaitGroup
}

func startMemorySampler(groups []processGroup, every time.Duration) *memorySampler {
	s := &memorySampler{groups: groups, peaks: make([]int64, len(groups)), done: make(chan struct{})}
	s.sample()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
				s.sample()
			}
		}
	}()
	return s
}

func (s *memorySampler) sample() {
	for i, g := range s.groups {
		m := g.Memory()
		s.mu.Lock()
		s.peaks[i] = max(s.peaks[i], m)
		s.mu.Unlock()
	}
}

// stop ends the sampling and returns each group's peak in bytes.
func (s *memorySampler) stop() []usage {
	close(s.done)
	s.wg.Wait()
	s.sample()
	out := make([]usage, len(s.groups))
	for i, g := range s.groups {
		out[i] = usage{g.Name(), float64(s.peaks[i])}
	}
	return out
}
