package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
)

// latency places orders at rate/s with the forwarder running, first for a
// 2 s warm-up, then for d, and reports commit -> broker append latency of
// the placements after the warm-up.
func latency(ctx context.Context, rate float64, d time.Duration) error {
	e, err := newEnv(ctx, 6, true)
	if err != nil {
		return err
	}
	defer e.drop(ctx)
	if err := createBenchTable(ctx, e.db); err != nil {
		return err
	}
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
	time.Sleep(time.Second)

	wake, err := notifier(e.db)
	if err != nil {
		return err
	}
	pub, err := newOurPublisher(wake)
	if err != nil {
		return err
	}
	p := placer{db: e.db, pub: pub, topic: e.topic}
	held := func() string { return "" }
	if opts.holdElsewhere {
		if held, err = holdElsewhere(ctx); err != nil {
			return err
		}
	}
	const warmUp = 2 * time.Second
	var (
		mu        sync.Mutex
		committed = map[string]time.Time{}
		txTimes   []time.Duration
		wg        sync.WaitGroup
		failed    atomic.Pointer[error]
	)
	place := func(measured bool) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at, began, id, err := p.placeTimed(ctx)
			if err != nil {
				failed.Store(&err)
				return
			}
			if measured {
				mu.Lock()
				committed[id] = at
				txTimes = append(txTimes, at.Sub(began))
				mu.Unlock()
			}
		}()
	}
	ticker := time.NewTicker(time.Duration(float64(time.Second) / rate))
	begun := time.Now()
	measureFrom := begun.Add(warmUp)
	stop := time.After(warmUp + d)
	placed, sent := 0, 0
	var cpu0 cpuTimes
	profiling := false
loop:
	for {
		select {
		case <-stop:
			break loop
		case now := <-ticker.C:
			measured := now.After(measureFrom)
			if measured && sent == 0 {
				cpu0 = readCPU()
				if opts.latencyProfile != "" && rate > 10 {
					f, err := os.Create(opts.latencyProfile)
					if err != nil {
						return err
					}
					if err := pprof.StartCPUProfile(f); err != nil {
						return err
					}
					profiling = true
				}
			}
			// Ticks dropped while this goroutine waited for a core are
			// placed now, so that the rate is the one asked for.
			for due := int(now.Sub(begun).Seconds()*rate) - placed; due > 0; due-- {
				placed++
				if measured {
					sent++
				}
				place(measured)
			}
		}
	}
	ticker.Stop()
	cpu := readCPU().since(cpu0, d)
	if profiling {
		pprof.StopCPUProfile()
	}
	wg.Wait()
	heldFor := held() // before reading Kafka: a forwarder it blocked delivers now
	if err := failed.Load(); err != nil {
		return *err
	}

	var lat []time.Duration
	deadline := time.Now().Add(time.Minute)
	for len(lat) < len(committed) && time.Now().Before(deadline) {
		lat = lat[:0]
		readCtx, cancelRead := context.WithTimeout(ctx, 30*time.Second)
		err := kafka.ReadTopic(readCtx, e.brokers, e.topic, false, func(r kafka.Record) error {
			if at, ok := committed[r.Key]; ok {
				lat = append(lat, r.Timestamp.Sub(at))
			}
			return nil
		})
		cancelRead()
		if err != nil {
			return err
		}
	}
	cancel()
	if err := <-done; err != nil {
		return err
	}
	fmt.Printf("at %6.0f orders/s (%d placed, %d on Kafka): %s\n", rate, sent, len(lat), percentiles(lat))
	if heldFor != "" {
		fmt.Printf("  %s\n", heldFor)
	}
	fmt.Printf("  placement transactions (begin to commit): %s\n", percentiles(txTimes))
	fmt.Printf("  CPU meanwhile (%% of one core): bench and forwarder process %s\n", strings.TrimPrefix(cpu.String(), "forwarder process "))
	return nil
}
