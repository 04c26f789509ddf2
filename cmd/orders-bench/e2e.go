package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/orderflow/orders/adapters/postgres"
)

// phase is the pipeline under a steady placement rate.
type phase struct {
	Rate   float64 // orders/s asked for
	Placed int
	Errors int
	// Commit → the broker's append of the OrderPlaced record, and commit →
	// the inventory consumer's reservation (its transaction's now()).
	// Commit takes the commit at its commit timestamp
	// (pg_xact_commit_timestamp, when the server has
	// track_commit_timestamp on, as scripts/services.sh sets it; PostgreSQL
	// takes it just before the commit's WAL flush). Without it, two
	// bounds: Low takes the commit at the moment the API's 201 arrived (it
	// answers after the commit, so under load this is late and Low can even
	// be negative); High takes it at the writing transaction's start
	// (order_events.recorded_at), which is before the commit.
	ToKafka, ToEffect latencyBounds
	// Transaction is the placing transaction's length, from its start to
	// its commit timestamp (empty without track_commit_timestamp).
	Transaction distribution
	Missing     int           // placed orders with no record (or no reservation)
	Settled     time.Duration // from the first placement until every order was handled
	// CPU seconds per 1,000 orders, from the first placement until every
	// effect was there, by process.
	CPU []usage
	// Background is the share of the machine (all cores) that processes
	// other than these used meanwhile; Busy the share every process used.
	Background, Busy float64

	kafkaPlot, effectPlot []time.Duration // for the plot: from the commit, or from the transaction's start
	placements            []placement
}

type usage struct {
	Name  string
	Value float64
}

// e2eResult is the end-to-end section.
type e2eResult struct {
	Consumers []string
	Shards    int // of the orders outbox; 0: the default
	Phases    []*phase
	// IdleCPU is each process's share of one core while nothing is placed.
	IdleCPU    []usage
	IdleWindow time.Duration
	PeakRSS    []usage // bytes
}

// measureEndToEnd runs the API, the forwarder and the consumers as
// processes and places orders at each rate in turn. Without the inventory
// among the consumers it measures commit → Kafka alone.
func measureEndToEnd(ctx context.Context, e *environment, o options, consumers []string, rates []float64, shards int, log io.Writer) (*e2eResult, error) {
	fmt.Fprintf(log, "end to end: orders api, forwarder%s as processes; rates %.0f orders/s\n", listed(consumers), rates)
	p, err := startPipeline(ctx, e, consumers, shards)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	db, err := postgres.Open(ctx, p.db.url)
	if err != nil {
		return nil, err
	}
	defer func() { _ = db.Close() }()
	kafkaProc, err := kafkaBroker()
	if err != nil {
		return nil, err
	}
	sampler := startMemorySampler([]processGroup{postgresServer{}, kafkaProc}, 500*time.Millisecond)

	placer := newPlacer(p.api.base, 256)
	defer placer.close()
	// Warm up: the consumers join their groups and every process connects.
	warm, _, firstErr := openLoop(ctx, placer, 20, time.Second)
	if len(warm) == 0 {
		return nil, fmt.Errorf("warm-up placed no order: %s", firstErr)
	}
	w, err := newWaiter(p, db)
	if err != nil {
		return nil, err
	}
	defer w.close()
	if _, err := w.wait(ctx, warm, 90*time.Second); err != nil {
		return nil, err
	}

	res := &e2eResult{Consumers: consumers, Shards: shards}
	groups := append([]processGroup{}, asGroups(p.processes())...)
	groups = append(groups, postgresServer{}, kafkaProc)
	for _, rate := range rates {
		ph := &phase{Rate: rate}
		cpu0, self0, busy0 := cpuOf(groups), selfCPU(), machineBusy()
		start := time.Now()
		placed, errs, firstErr := openLoop(ctx, placer, rate, o.Latency)
		ph.Placed, ph.Errors, ph.placements = len(placed), errs, placed
		if errs > 0 {
			fmt.Fprintf(log, "  warning: %d failed placements at %.0f/s: %s\n", errs, rate, firstErr)
		}
		missing, err := w.wait(ctx, placed, time.Duration(len(placed)/50)*time.Second+time.Minute)
		if err != nil {
			return nil, err
		}
		ph.Missing, ph.Settled = missing, time.Since(start)
		cpu1, self1, busy1 := cpuOf(groups), selfCPU(), machineBusy()
		measured := self1 - self0
		for i, g := range groups {
			ph.CPU = append(ph.CPU, usage{g.Name(), per1000(cpu1[i]-cpu0[i], float64(len(placed)))})
			measured += cpu1[i] - cpu0[i]
		}
		ph.Background = backgroundShare(busy1-busy0, measured, ph.Settled)
		ph.Busy = machineShare(busy1-busy0, ph.Settled)
		ph.CPU = append(ph.CPU, usage{"load generator (this process)", per1000(self1-self0, float64(len(placed)))})
		if err := p.check(); err != nil {
			return nil, err
		}
		res.Phases = append(res.Phases, ph)
		fmt.Fprintf(log, "  %.0f orders/s: %d placed, every effect after %s\n", rate, len(placed), ph.Settled.Round(time.Millisecond))
	}

	// Idle: nothing placed; the forwarder waits for a wake-up or its idle
	// poll, the consumers for records.
	time.Sleep(min(3*time.Second, max(500*time.Millisecond, o.Idle/5)))
	idleGroups := append(asGroups(p.processes()), postgresServer{})
	cpu0 := cpuOf(idleGroups)
	time.Sleep(o.Idle)
	cpu1 := cpuOf(idleGroups)
	res.IdleWindow = o.Idle
	for i, g := range idleGroups {
		res.IdleCPU = append(res.IdleCPU, usage{g.Name(), 100 * (cpu1[i] - cpu0[i]).Seconds() / o.Idle.Seconds()})
	}
	for _, proc := range p.processes() {
		res.PeakRSS = append(res.PeakRSS, usage{proc.Name(), float64(proc.peak())})
	}
	res.PeakRSS = append(res.PeakRSS, sampler.stop()...)
	if err := p.check(); err != nil {
		return nil, err
	}
	return res, latencies(ctx, e, p, db, res.Phases)
}

func asGroups(ps []singleProcess) []processGroup {
	out := make([]processGroup, len(ps))
	for i, p := range ps {
		out[i] = p
	}
	return out
}

func cpuOf(groups []processGroup) []time.Duration {
	out := make([]time.Duration, len(groups))
	for i, g := range groups {
		out[i] = g.CPU()
	}
	return out
}

func listed(consumers []string) string {
	if len(consumers) == 0 {
		return ""
	}
	return ", " + strings.Join(consumers, ", ")
}
