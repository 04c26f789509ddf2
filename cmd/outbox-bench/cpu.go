package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orderflow/orders/adapters/outbox/forwarder"
)

// idleCPU runs an idle forwarder for d and reports its CPU and the
// database server's, as a share of one core.
func idleCPU(ctx context.Context, d time.Duration) error {
	e, err := newEnv(ctx, 6, false)
	if err != nil {
		return err
	}
	defer e.drop(ctx)
	publisher, err := newKafkaPublisher(e)
	if err != nil {
		return err
	}
	defer func() { _ = publisher.Close() }()
	fwd, err := forwarder.New(e.db, ourConfig(e, publisher), logger)
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fwd.Run(runCtx) }()
	time.Sleep(2 * time.Second)
	t0 := readCPU()
	time.Sleep(d)
	cpu := readCPU().since(t0, d)
	cancel()
	if err := <-done; err != nil {
		return err
	}
	fmt.Printf("forwarder process %.2f%% of a core   PostgreSQL %.2f%% of a core (over %s)\n", cpu.self, cpu.postgres, d)
	return nil
}

// cpuTimes are the CPU times used so far by this process, by every process
// named postgres (all databases: the figure includes any other activity on
// the server) and by the Kafka broker.
type cpuTimes struct{ self, postgres, kafka time.Duration }

// cpuShares are CPU times over an interval as percentages of one core.
type cpuShares struct{ self, postgres, kafka float64 }

func (c cpuShares) String() string {
	return fmt.Sprintf("forwarder process %.0f%%, PostgreSQL %.0f%%, Kafka %.0f%%", c.self, c.postgres, c.kafka)
}

func (c cpuTimes) since(c0 cpuTimes, d time.Duration) cpuShares {
	pct := func(a, b time.Duration) float64 { return 100 * (a - b).Seconds() / d.Seconds() }
	return cpuShares{self: pct(c.self, c0.self), postgres: pct(c.postgres, c0.postgres), kafka: pct(c.kafka, c0.kafka)}
}

func readCPU() cpuTimes {
	var c cpuTimes
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		c.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	matches, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		s := string(b)
		start, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if start < 0 || end < 0 {
			continue
		}
		var into *time.Duration
		switch s[start+1 : end] {
		case "postgres":
			into = &c.postgres
		case "java":
			cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(m), "cmdline"))
			if !strings.Contains(string(cmdline), "kafka.Kafka") {
				continue
			}
			into = &c.kafka
		default:
			continue
		}
		fields := strings.Fields(s[end+2:])
		if len(fields) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		*into += time.Duration(utime+stime) * time.Second / 100 // USER_HZ
	}
	return c
}

// inTx runs fn in a transaction and commits it, or rolls it back when fn
// fails.
// percentiles formats p50, p90, p99 and the maximum of ds.
func percentiles(ds []time.Duration) string {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	pct := func(p float64) time.Duration {
		if len(ds) == 0 {
			return 0
		}
		return ds[min(len(ds)-1, int(p*float64(len(ds))))].Round(100 * time.Microsecond)
	}
	return fmt.Sprintf("p50 %v  p90 %v  p99 %v  max %v", pct(0.50), pct(0.90), pct(0.99), pct(1))
}
