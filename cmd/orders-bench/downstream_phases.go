package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// burstResult is N orders placed as fast as the clients can, followed
// until every one has ended.
type burstResult struct {
	Orders, Clients      int // asked for
	Placed, Errors       int
	FirstError           string
	Confirmed, Cancelled int // of the placed orders, by the orders table's status
	// Placing runs from the first request to the last 201; ToLastEnd from
	// the first request to the last end state (the start of the
	// transaction that confirmed or cancelled it, just before its commit).
	Placing, ToLastEnd time.Duration
	PlacementRate      float64 // Placed / Placing
	EndToEndRate       float64 // orders ended / ToLastEnd
	APIAloneRate       float64 // the write path's maximum placement rate, same run
	VsPlacement, VsAPI float64 // EndToEndRate over each
	Settling           settling
	// CPU seconds per 1,000 confirmed orders by process, from the first
	// placement until the last order ended. PipelineCPU sums the orders
	// process, PostgreSQL and Kafka; WritePathCPU is the API's and
	// PostgreSQL's per 1,000 placed orders in the write path alone (same
	// run, WritePathClients clients); CPURatio the one over the other.
	CPU                    []usage
	PipelineCPU            float64
	WritePathCPU, CPURatio float64
	WritePathClients       int
	Background             float64
	Steal                  float64 // the part of Background the hypervisor's other guests took
	// Batches is how each consumer handled the burst's messages: alone or
	// in batches, over the same span as CPU.
	Batches []consumerBatches
	// Profile is a CPU profile of `orders all` over the burst's first
	// burstProfileSeconds (read with `go tool pprof -top OrdersBinary
	// Profile`): where the orders process's share of CPU goes.
	Profile, OrdersBinary string

	placedAt, endedAt []time.Duration // since the first request, for the plot
}

// burstProfileSeconds is how much of the burst the profile of `orders all`
// covers: the placements and the downstream's busiest part of a default
// burst. The profiler's own cost counts in the burst's CPU (it was not
// measured apart).
const burstProfileSeconds = 10

// sustainedPhase is an open-loop rate held for a while, followed until
// every order has ended and the consumers no longer lag.
type sustainedPhase struct {
	Rate                 float64
	Duration             time.Duration
	Placed, Errors       int
	Confirmed, Cancelled int
	ToConfirmed          confirmLatency
	Legs                 []legLatency // where ToConfirmed's estimate went, leg by leg
	Windows              []windowP99  // ToConfirmed's estimate by when the orders were placed
	Started              time.Time    // the first placement: the windows' origin, to read the services' logs by
	Settling             settling
	CPU                  []usage // CPU seconds per 1,000 confirmed orders, as the burst's
	PipelineCPU          float64
	Background           float64
	// Steal is the machine's CPU share stolen by the hypervisor in each
	// whole window of placements (stealSampler), in the windows' order.
	Steal []float64
	// Batches is how each consumer handled the phase's messages, over the
	// same span as CPU.
	Batches []consumerBatches

	placements []placement
	estimate   []time.Duration // for the plot
}

// confirmLatency is commit → confirmed. No clock marks either commit, so:
// Low runs from the API's 201 (after the placement's commit) to the start
// of the transaction that confirmed the order (before its commit): a lower
// bound. High runs from the placing transaction's start (before its
// commit) to the OrderConfirmed record's append on Kafka (after the
// confirmation's commit, and after the forwarder too): an upper bound.
// Estimate runs from one transaction's start to the other's (OrderPlaced's
// and OrderConfirmed's recorded_at): each end is early by its own
// transaction's length, so the errors mostly cancel; the targets are read
// on it.
type confirmLatency struct {
	Low, Estimate, High distribution
}

func (d *downstreamRun) burst(ctx context.Context, o options, wp *writePathResult) (*burstResult, error) {
	b := &burstResult{Orders: o.BurstOrders, Clients: o.BurstClients, APIAloneRate: wp.MaxRate}
	profiled := make(chan error, 1)
	profile := filepath.Join(d.p.e.dir, "all-burst.cpu.pprof")
	w, batches := startCPUWindow(d.groups), startBatchWindow(ctx, d.p.api.metrics)
	end := endWindows(ctx, w, batches)
	go func() { profiled <- fetchCPUProfile(ctx, d.p.api.pprof, burstProfileSeconds, profile) }()
	placed, errs, firstErr := burstLoop(ctx, d.placer, o.BurstClients, o.BurstOrders)
	b.Placed, b.Errors, b.FirstError = len(placed), errs, firstErr
	if len(placed) == 0 {
		return nil, fmt.Errorf("burst placed no order: %s", firstErr)
	}
	first, last := placementSpan(placed)
	var err error
	if b.Settling, err = settle(ctx, d.db, d.lag, last, o.EndTimeout, end); err != nil {
		return nil, err
	}
	end() // when not every order ended
	if b.Batches, err = batches.result(); err != nil {
		return nil, err
	}
	if err := <-profiled; err != nil {
		return nil, fmt.Errorf("CPU profile of orders all in the burst: %w", err)
	}
	b.Profile, b.OrdersBinary = profile, d.p.e.ordersBin
	ids := idsOf(placed)
	if b.Confirmed, b.Cancelled, err = statuses(ctx, d.db, ids); err != nil {
		return nil, err
	}
	times, err := orderEventTimes(ctx, d.db, ids)
	if err != nil {
		return nil, err
	}
	var lastEnd time.Time
	for _, pl := range placed {
		b.placedAt = append(b.placedAt, pl.Done.Sub(first))
		if t := times[pl.ID]; !t.Ended.IsZero() {
			b.endedAt = append(b.endedAt, t.Ended.Sub(first))
			lastEnd = maxTime(lastEnd, t.Ended)
		}
	}
	b.Placing = last.Sub(first)
	b.PlacementRate = float64(b.Placed) / b.Placing.Seconds()
	if !lastEnd.IsZero() {
		b.ToLastEnd = lastEnd.Sub(first)
		b.EndToEndRate = float64(len(b.endedAt)) / b.ToLastEnd.Seconds()
	}
	b.VsPlacement, b.VsAPI = ratio(b.EndToEndRate, b.PlacementRate), ratio(b.EndToEndRate, b.APIAloneRate)

	b.CPU, b.PipelineCPU, b.Background, b.Steal = w.per1000(b.Confirmed), w.total(b.Confirmed), w.background(), w.stolen()
	ref := wp.step(o.BurstClients)
	if ref == nil {
		ref = wp.step(wp.MaxRateClients)
	}
	if ref != nil {
		b.WritePathClients, b.WritePathCPU = ref.Clients, ref.ServiceCPU.API+ref.ServiceCPU.Postgres
		b.CPURatio = ratio(b.PipelineCPU, b.WritePathCPU)
	}
	return b, nil
}

// sustained holds rate open loop for length, then waits until every order
// has ended and no consumer lags (at most o.EndTimeout).
func (d *downstreamRun) sustained(ctx context.Context, rate float64, length time.Duration, o options) (*sustainedPhase, error) {
	ph := &sustainedPhase{Rate: rate, Duration: length}
	// The phase before grew every table by up to tens of thousands of
	// orders; vacuumed now, its autovacuum does not run in this phase,
	// which pays only for its own.
	if err := vacuumOwnTables(ctx, d.db); err != nil {
		return nil, fmt.Errorf("before %.0f orders/s: %w", rate, err)
	}
	w, batches := startCPUWindow(d.groups), startBatchWindow(ctx, d.p.api.metrics)
	end := endWindows(ctx, w, batches)
	steal := sampleSteal()
	placed, errs, firstErr := openLoop(ctx, d.placer, rate, length)
	ph.Steal = steal.end()
	ph.Placed, ph.Errors, ph.placements = len(placed), errs, placed
	if len(placed) == 0 {
		return nil, fmt.Errorf("%.0f orders/s placed no order: %s", rate, firstErr)
	}
	first, last := placementSpan(placed)
	ph.Started = first
	var err error
	if ph.Settling, err = settle(ctx, d.db, d.lag, last, o.EndTimeout, end); err != nil {
		return nil, err
	}
	end() // when not every order ended
	if ph.Batches, err = batches.result(); err != nil {
		return nil, err
	}
	if ph.Confirmed, ph.Cancelled, err = statuses(ctx, d.db, idsOf(placed)); err != nil {
		return nil, err
	}
	ph.CPU, ph.PipelineCPU, ph.Background = w.per1000(ph.Confirmed), w.total(ph.Confirmed), w.background()
	return ph, d.p.check()
}

// burstLoop has clients place n orders in all, each client one after the
// other, as fast as the API answers.
func burstLoop(ctx context.Context, p *placer, clients, n int) ([]placement, int, string) {
	var (
		mu       sync.Mutex
		placed   = make([]placement, 0, n)
		errs     int
		firstErr string
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && next.Add(1) <= int64(n) {
				sent := time.Now()
				id, err := p.place(ctx)
				done := time.Now()
				mu.Lock()
				if err != nil {
					if errs == 0 {
						firstErr = err.Error()
					}
					errs++
				} else {
					placed = append(placed, placement{ID: id, Sent: sent, Done: done})
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return placed, errs, firstErr
}

// placementSpan is the first request's sending and the last 201's arrival.
func placementSpan(placed []placement) (first, last time.Time) {
	for i, pl := range placed {
		if i == 0 || pl.Sent.Before(first) {
			first = pl.Sent
		}
		last = maxTime(last, pl.Done)
	}
	return first, last
}

func idsOf(placed []placement) []string {
	ids := make([]string, len(placed))
	for i, pl := range placed {
		ids[i] = pl.ID
	}
	return ids
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// endWindows closes a phase's CPU and batch windows; only the first call
// counts (settle makes it when every order has ended).
func endWindows(ctx context.Context, w *cpuWindow, batches *batchWindow) func() {
	return func() {
		w.end()
		batches.end(ctx)
	}
}
