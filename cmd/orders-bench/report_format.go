package main

import (
	"fmt"
	"time"
)

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// processes names the end-to-end run's processes.
func (e *e2eResult) processes() string {
	return "orders api, forwarder" + listed(e.Consumers)
}
