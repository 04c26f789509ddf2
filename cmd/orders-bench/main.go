// Command orders-bench measures the order service's whole pipeline on the
// real local PostgreSQL and Kafka, each figure beside its baseline from the
// same run (docs/benchmarks.md):
//
//  1. write path: orders/s over HTTP at 1, 8, 32 and 64 clients against
//     `orders api` in its own process; beside it the same API with
//     OUTBOX_DISABLED=true (a switch only this benchmark's build of
//     cmd/orders has, -tags benchnooutbox), and pgbench running the statements one order
//     writes (captured from the service's own code) on the same clients;
//  2. forwarder: the forwarder draining the write path's backlog, and the
//     forwarder's own benchmark (cmd/outbox-bench: ours beside the
//     stock Watermill configuration from 10,000 and 100,000 backlogs);
//  3. end to end, at 10 orders/s and at half the maximum placement rate:
//     commit → Kafka with `orders api` and `orders forwarder` as processes,
//     then commit → Kafka and commit → the inventory consumer's reservation
//     with `orders inventory` running too; each process's CPU while idle;
//  4. resources: CPU seconds per 1,000 orders and peak RSS by process;
//  5. downstream, on the `make run` topology (one `orders all` process): a
//     burst of orders placed as fast as 32 clients can, followed until every
//     one has ended (end-to-end rate, CPU per confirmed order, the top
//     statements from pg_stat_statements), then 40 orders/s and half the
//     maximum placement rate held open loop (commit → confirmed, how soon
//     the consumers' lag is back to 0), 10 orders/s besides, a step search
//     for the highest rate held with placed → confirmed p99 ≤ 1 s, and
//     pgbench running one confirmed order's business statements.
//
// Run it under the shared lock, alone on the machine:
//
//	flock /tmp/orders-bench.lock go run ./cmd/orders-bench          # 15 minutes and more: each downstream phase waits up to -end-timeout
//	flock /tmp/orders-bench.lock go run ./cmd/orders-bench -short   # a few minutes
//
// It creates databases ordersbench_* on the server of TEST_DATABASE_URL and
// topics ordersbench.* on KAFKA_BROKERS, and removes them at the end.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orderflow/orders/adapters/outbox"
)

// options are the benchmark's settings; -short picks smaller ones.
type options struct {
	Clients       []int
	Step          time.Duration // each write-path measurement
	Warmup        time.Duration // before each service measurement
	Rounds        int           // of the write path, alternating the variants
	LowRate       float64       // the end-to-end run's light load, orders/s
	Latency       time.Duration // each end-to-end phase
	Idle          time.Duration
	Consumers     []string
	Forwarder     bool
	ForwarderArgs []string
	Pgbench       string
	Out           string // results, plots and logs
	ImgDir        string // also write the plots here
	// The downstream section.
	BurstOrders, BurstClients int
	Sustained                 time.Duration // each sustained rate
	SustainedLowRate          float64
	SustainedQuietRate        float64 // orders/s at which batching must cost nothing
	// The step search for the sustained capacity: each step's length, and
	// how many steps at most (0: no search).
	CapacityStep  time.Duration
	CapacitySteps int
	CapacityFrom  float64       // the search's first rate; 0: from the burst's end-to-end rate
	EndTimeout    time.Duration // wait for the end states after a phase's last placement
	Downstream    bool          // run the downstream section
	// The shard sweep (shards.go): orders-outbox shard counts, each phase's
	// length and idle window.
	Shards                  []int
	ShardLatency, ShardIdle time.Duration
	// WriteShards, when set, reshards the write path's databases to that
	// many orders-outbox shards (0: a new database's count).
	WriteShards int
	// Partitions of each topic of the pipeline runs (default 6).
	Partitions int
}

func fullOptions() options {
	return options{
		Clients: []int{1, 8, 32, 64}, Step: 10 * time.Second, Warmup: 2 * time.Second, Rounds: 2,
		LowRate: 10, Latency: 30 * time.Second, Idle: 20 * time.Second, Consumers: []string{"inventory"},
		Forwarder:   true,
		Pgbench:     "/usr/lib/postgresql/15/bin/pgbench",
		BurstOrders: 5000, BurstClients: 32, Sustained: time.Minute, SustainedLowRate: 40, SustainedQuietRate: 10, EndTimeout: 5 * time.Minute,
		CapacityStep: 3 * time.Minute, CapacitySteps: 7,
		Downstream: true, Shards: []int{1, 2, 4, 8}, ShardLatency: 20 * time.Second, ShardIdle: 10 * time.Second,
	}
}

func shortOptions() options {
	o := fullOptions()
	o.Step, o.Warmup, o.Rounds = 2*time.Second, 500*time.Millisecond, 1
	o.Latency, o.Idle, o.Forwarder = 5*time.Second, 5*time.Second, false
	o.BurstOrders, o.Sustained, o.EndTimeout = 500, 5*time.Second, 2*time.Minute
	o.CapacityStep, o.CapacitySteps = 6*time.Second, 4
	o.Shards = nil
	return o
}

// renamedFlag returns the value of flag name, or, when only its old name
// was given, the old one's, with a WARN that the old name is deprecated.
func renamedFlag(logger *slog.Logger, name, value, old, oldValue string) string {
	if value != "" || oldValue == "" {
		return value
	}
	logger.Warn("-" + old + " is deprecated and will be removed in the next release; use -" + name + " instead")
	return oldValue
}

func main() {
	short := flag.Bool("short", false, "quick comparison: 2 s steps, one round, 5 s latency phases, no forwarder benchmark, a burst of 500 orders, 5 s sustained rates and a step search of at most 4 steps of 6 s downstream")
	clients := flag.String("clients", "", "write-path client counts, comma-separated (default 1,8,32,64)")
	step := flag.Duration("step", 0, "length of each write-path measurement (default 10s, short 2s)")
	rounds := flag.Int("rounds", 0, "write-path rounds (default 2, short 1)")
	latency := flag.Duration("latency", 0, "length of each end-to-end phase (default 30s, short 5s)")
	idle := flag.Duration("idle", 0, "idle CPU window (default 20s, short 5s)")
	consumers := flag.String("consumers", "inventory", "consumer processes in the end-to-end run: inventory[,payment,saga]")
	forwarder := flag.String("forwarder", "", "run cmd/outbox-bench: true or false (default true, short false)")
	forwarderArgs := flag.String("forwarder-args", "", "arguments of cmd/outbox-bench (default -backlogs 10000,100000, and -phases drain where it has that flag)")
	oldForwarder := flag.String("relay", "", "deprecated until the next release: -forwarder")
	oldForwarderArgs := flag.String("relay-args", "", "deprecated until the next release: -forwarder-args")
	pgbench := flag.String("pgbench", "", "pgbench binary (default /usr/lib/postgresql/15/bin/pgbench)")
	out := flag.String("out", "", "directory for results.json, the plots and the processes' logs (default: a new temporary directory)")
	imgDir := flag.String("img-dir", "", "also write the plots here (e.g. docs/img)")
	burst := flag.Int("burst", 0, "orders of the downstream burst (default 5000, short 500)")
	sustained := flag.Duration("sustained", 0, "length of each downstream sustained rate (default 1m, short 5s)")
	downstream := flag.Bool("downstream", true, "run the downstream section (orders all: burst and sustained rates)")
	partitions := flag.Int("partitions", 12, "partitions of each topic of the end-to-end and downstream runs (they bound the consumers' batches)")
	writeShards := flag.Int("write-shards", 0, "orders-outbox shards of the write path's databases (default: a new database's count)")
	shards := flag.String("shards", "", "orders-outbox shard counts to compare commit → Kafka at (default 1,2,4,8; short none; \"none\" skips)")
	capacityStep := flag.Duration("capacity-step", 0, "length of each step of the downstream step search for the sustained capacity (default 3m, short 6s)")
	capacitySteps := flag.Int("capacity-steps", -1, "most steps of that search (default 7, short 4; 0 skips it)")
	capacityFrom := flag.Float64("capacity-from", 0, "orders/s of that search's first step (default 0.8 × the burst's end-to-end rate)")
	endTimeout := flag.Duration("end-timeout", 0, "how long a downstream phase waits for every order to end after its last placement (default 5m, short 2m)")
	flag.Parse()
	*forwarder = renamedFlag(slog.Default(), "forwarder", *forwarder, "relay", *oldForwarder)
	*forwarderArgs = renamedFlag(slog.Default(), "forwarder-args", *forwarderArgs, "relay-args", *oldForwarderArgs)

	o := fullOptions()
	if *short {
		o = shortOptions()
	}
	if err := o.apply(*clients, *step, *rounds, *latency, *idle, *consumers, *forwarder, *forwarderArgs, *pgbench, *out, *imgDir); err != nil {
		fmt.Fprintln(os.Stderr, "orders-bench:", err)
		os.Exit(2)
	}
	if err := o.applyShards(*shards); err != nil {
		fmt.Fprintln(os.Stderr, "orders-bench:", err)
		os.Exit(2)
	}
	o.Downstream = *downstream
	if *writeShards < 0 || *writeShards > outbox.MaxShards {
		fmt.Fprintf(os.Stderr, "orders-bench: -write-shards %d: want 1 to %d\n", *writeShards, outbox.MaxShards)
		os.Exit(2)
	}
	o.WriteShards = *writeShards
	if *partitions < 1 || *partitions > 1000 {
		fmt.Fprintf(os.Stderr, "orders-bench: -partitions %d: want 1 to 1000\n", *partitions)
		os.Exit(2)
	}
	o.Partitions = *partitions
	o.BurstOrders = cmp.Or(max(*burst, 0), o.BurstOrders)
	o.Sustained, o.EndTimeout = cmp.Or(max(*sustained, 0), o.Sustained), cmp.Or(max(*endTimeout, 0), o.EndTimeout)
	o.CapacityStep = cmp.Or(max(*capacityStep, 0), o.CapacityStep)
	if *capacitySteps >= 0 {
		o.CapacitySteps = *capacitySteps
	}
	o.CapacityFrom = max(*capacityFrom, 0)
	if err := runUntilSignalled(o); err != nil {
		fmt.Fprintln(os.Stderr, "orders-bench:", err)
		os.Exit(1)
	}
}

// runUntilSignalled runs the benchmark; SIGINT or SIGTERM stop it early,
// still removing what it created.
func runUntilSignalled(o options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, err := run(ctx, o, os.Stdout)
	return err
}

func (o *options) apply(clients string, step time.Duration, rounds int, latency, idle time.Duration,
	consumers, forwarder, forwarderArgs, pgbench, out, imgDir string,
) error {
	if clients != "" {
		o.Clients = nil
		for _, s := range strings.Split(clients, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 {
				return fmt.Errorf("-clients: %q is not a positive integer", s)
			}
			o.Clients = append(o.Clients, n)
		}
	}
	if step > 0 {
		o.Step = step
	}
	if rounds > 0 {
		o.Rounds = rounds
	}
	if latency > 0 {
		o.Latency = latency
	}
	if idle > 0 {
		o.Idle = idle
	}
	o.Consumers = strings.Split(consumers, ",")
	if forwarder != "" {
		v, err := strconv.ParseBool(forwarder)
		if err != nil {
			return fmt.Errorf("-forwarder: %w", err)
		}
		o.Forwarder = v
	}
	if forwarderArgs != "" {
		o.ForwarderArgs = strings.Fields(forwarderArgs)
	}
	if pgbench != "" {
		o.Pgbench = pgbench
	}
	o.Out, o.ImgDir = out, imgDir
	return nil
}

// run measures everything o asks for, prints the tables to w and returns
// the results.
func run(ctx context.Context, o options, w io.Writer) (*results, error) {
	if _, err := os.Stat(o.Pgbench); err != nil {
		return nil, fmt.Errorf("pgbench (from postgresql-contrib, installed by `make services`): %w", err)
	}
	if o.Out == "" {
		dir, err := os.MkdirTemp("", "orders-bench-")
		if err != nil {
			return nil, err
		}
		o.Out = dir
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	if err := findBenchServers(); err != nil {
		return nil, err
	}
	e, err := newEnvironment(ctx, o.Out)
	if err != nil {
		return nil, err
	}
	if o.Partitions > 0 {
		e.partitions = int32(o.Partitions)
	}
	defer e.close()
	started := time.Now()
	fmt.Fprintf(w, "orders-bench: results, plots and logs in %s\n", o.Out)
	if err := e.build(ctx, o.Forwarder); err != nil {
		return nil, err
	}
	res := &results{Started: started, Options: o, Machine: describeMachine(ctx, e)}

	if res.WritePath, err = measureWritePath(ctx, e, o, w); err != nil {
		return nil, fmt.Errorf("write path: %w", err)
	}
	if res.Drain, err = measureDrain(ctx, e, res.WritePath, w); err != nil {
		return nil, fmt.Errorf("drain: %w", err)
	}
	if o.Forwarder {
		if res.Forwarder, err = measureForwarder(ctx, e, o.ForwarderArgs, w); err != nil {
			return nil, fmt.Errorf("forwarder: %w", err)
		}
	}
	// First the API and the forwarder alone (commit → Kafka), then with the
	// consumers (commit → their effect).
	rates := []float64{o.LowRate, res.WritePath.MaxRate / 2}
	for _, consumers := range [][]string{nil, o.Consumers} {
		r, err := measureEndToEnd(ctx, e, o, consumers, rates, 0, w)
		if err != nil {
			return nil, fmt.Errorf("end to end: %w", err)
		}
		res.EndToEnd = append(res.EndToEnd, r)
	}
	// The sweep adds a quarter of the maximum rate: where the tail still
	// holds when half the rate fills the machine.
	sweepRates := []float64{o.LowRate, res.WritePath.MaxRate / 4, res.WritePath.MaxRate / 2}
	if res.Shards, err = measureShards(ctx, e, o, sweepRates, w); err != nil {
		return nil, fmt.Errorf("shard sweep: %w", err)
	}
	if o.Downstream {
		if res.Downstream, err = measureDownstream(ctx, e, o, res.WritePath, w); err != nil {
			return nil, fmt.Errorf("downstream: %w", err)
		}
	}
	res.Elapsed = time.Since(started)

	fmt.Fprintln(w)
	res.print(w)
	if err := res.save(o.Out, o.ImgDir); err != nil {
		return res, err
	}
	return res, nil
}
