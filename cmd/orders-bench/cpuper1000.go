package main

import (
	"syscall"
	"time"
)

type cpuPer1000 struct{ API, Postgres, LoadGenerator float64 }

func (c cpuPer1000) add(d cpuPer1000) cpuPer1000 {
	return cpuPer1000{API: c.API + d.API, Postgres: c.Postgres + d.Postgres, LoadGenerator: c.LoadGenerator + d.LoadGenerator}
}

func (c cpuPer1000) div(n float64) cpuPer1000 {
	return cpuPer1000{API: c.API / n, Postgres: c.Postgres / n, LoadGenerator: c.LoadGenerator / n}
}

// per1000 is CPU seconds per 1,000 of n.
func per1000(cpu time.Duration, n float64) float64 {
	if n <= 0 {
		return 0
	}
	return cpu.Seconds() * 1000 / n
}

// selfCPU is this process's CPU time: the load generator's.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
