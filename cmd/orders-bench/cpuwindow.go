package main

import "time"

// cpuWindow is the CPU time of the measured processes, of this process
// (the load generator) and of the whole machine over a window.
type cpuWindow struct {
	groups             []processGroup
	start              time.Time
	cpu0               []time.Duration
	self0, busy0       time.Duration
	steal0             time.Duration
	cpu                []time.Duration // spent in the window, by group
	self, busy, length time.Duration
	steal              time.Duration // counted in busy
	ended              bool
}

func startCPUWindow(groups []processGroup) *cpuWindow {
	busy, steal := machineTimes()
	return &cpuWindow{groups: groups, start: time.Now(), cpu0: cpuOf(groups), self0: selfCPU(), busy0: busy, steal0: steal}
}

// end closes the window; only its first call counts.
func (w *cpuWindow) end() {
	if w.ended {
		return
	}
	w.ended = true
	cpu1 := cpuOf(w.groups)
	busy, steal := machineTimes()
	w.self, w.busy, w.steal, w.length = selfCPU()-w.self0, busy-w.busy0, steal-w.steal0, time.Since(w.start)
	w.cpu = make([]time.Duration, len(w.groups))
	for i := range w.groups {
		w.cpu[i] = cpu1[i] - w.cpu0[i]
	}
}

// per1000 is CPU seconds per 1,000 of n by group, then the load
// generator's.
func (w *cpuWindow) per1000(n int) []usage {
	out := make([]usage, 0, len(w.groups)+1)
	for i, g := range w.groups {
		out = append(out, usage{g.Name(), per1000(w.cpu[i], float64(n))})
	}
	return append(out, usage{"load generator (this process)", per1000(w.self, float64(n))})
}

// total is the groups' CPU seconds per 1,000 of n, the load generator
// left out.
func (w *cpuWindow) total(n int) float64 {
	var sum time.Duration
	for _, c := range w.cpu {
		sum += c
	}
	return per1000(sum, float64(n))
}

// background is the share of the machine other processes used, the
// hypervisor's other guests (stolen) among them.
func (w *cpuWindow) background() float64 {
	measured := w.self
	for _, c := range w.cpu {
		measured += c
	}
	return backgroundShare(w.busy, measured, w.length)
}

// stolen is the share of the machine the hypervisor gave to other guests.
func (w *cpuWindow) stolen() float64 {
	return machineShare(w.steal, w.length)
}
