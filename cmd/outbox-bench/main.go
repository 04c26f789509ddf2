// Command outbox-bench measures the outbox forwarder on the real PostgreSQL and
// Kafka, beside Watermill's stock configuration in the same run:
//
//   - drain rate from a 10,000 and a 100,000 message backlog, ours (the
//     orders outbox's default shard count, outbox.DefaultShards, or
//     -shards; SchemaAdapter, batch 1000) and stock (DefaultPostgreSQLSchema,
//     batch 100, poll 1s, one SQL topic), same Kafka producer settings;
//   - commit-to-Kafka latency (broker append time minus commit time) at 10
//     orders/s and at half the maximum placement rate;
//   - CPU of an idle forwarder and of PostgreSQL meanwhile;
//   - both again with a million forwarded rows retained in the outbox: the
//     forwarder's cost per cycle must not grow with what it has sent;
//   - a drain of a large backlog (a million rows, copied in SQL from one
//     published message), with the rates of its first and last 100,000
//     rows: the forwarder's cost per batch must not grow with what waits
//     behind its position (target: last/first at least 0.8);
//   - what the wake-up (a coalesced NOTIFY after commit) costs the write path.
//
// Run it with `go run ./cmd/outbox-bench` (-h lists the flags). It
// creates and drops databases bench_* on the server of TEST_DATABASE_URL and
// topics bench.* on KAFKA_BROKERS. Figures vary with the machine; nothing here
// is asserted. A drain is timed from the first record on Kafka to the last,
// so the forwarder's start-up (connections, metadata) is not in the rate;
// the CPU the forwarder process, PostgreSQL and Kafka used meanwhile follows
// on the next line. The forwarder logs as in production (slog text handler,
// level info), into io.Discard.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
)

// settings are the flags that shape our forwarder.
type settings struct {
	producerPerShard bool
	shards           int
	batchSize        int
	linger           time.Duration // of the forwarder's Kafka requests (FORWARDER_LINGER)
	cpuProfile       string
	latencyProfile   string
	loadRate         float64
	holdElsewhere    bool
	profiled         bool
	// retained is the number of forwarded rows a new env's outbox keeps.
	retained int
}

var opts = settings{producerPerShard: true, shards: outbox.DefaultShards, linger: kafka.DefaultLinger}

// logger is what the forwarder logs to: the production handler and level,
// discarded.
var logger = watermill.NewSlogLogger(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})))

// outboxConfig is the bench's outbox: the orders outbox with -shards.
func outboxConfig() outbox.Config {
	return outbox.Config{Name: outbox.Orders.Name, Shards: opts.shards}
}

// newKafkaPublisher is the forwarders' Kafka producer, with -linger.
func newKafkaPublisher(e env) (*kafka.Publisher, error) {
	return kafka.NewPublisher(e.brokers, opts.linger, logger)
}

// ourConfig is the forwarder configuration the benchmark measures.
func ourConfig(e env, publisher message.Publisher) forwarder.Config {
	cfg := forwarder.Config{Outbox: outboxConfig(), ListenURL: e.url, BatchSize: opts.batchSize, Publisher: publisher}
	if opts.producerPerShard {
		cfg.PublisherPerShard = func() (message.Publisher, error) { return newKafkaPublisher(e) }
	}
	return cfg
}

func main() {
	backlogs := flag.String("backlogs", "10000,100000", "backlog sizes to drain")
	skipStock := flag.Bool("skip-stock", false, "measure ours only")
	flag.BoolVar(&opts.producerPerShard, "producer-per-shard", opts.producerPerShard, "one Kafka producer per shard instead of a shared one")
	latencySeconds := flag.Int("latency-seconds", 20, "length of each latency run (after a 2 s warm-up at the same rate)")
	flag.IntVar(&opts.shards, "shards", opts.shards, "shards of our outbox")
	flag.IntVar(&opts.batchSize, "batch", 0, "rows per query of our forwarder (0: the default)")
	flag.DurationVar(&opts.linger, "linger", opts.linger, "how long each of the forwarders' Kafka requests waits for more records (FORWARDER_LINGER)")
	flag.StringVar(&opts.cpuProfile, "cpuprofile", "", "write a CPU profile of our largest drain to this file")
	flag.StringVar(&opts.latencyProfile, "latency-cpuprofile", "", "write a CPU profile of the latency run at half the maximum rate to this file")
	flag.Float64Var(&opts.loadRate, "load-rate", 0, "rate of the second latency run (0: half the maximum placement rate the write phase measured)")
	flag.BoolVar(&opts.holdElsewhere, "hold-elsewhere", false, "hold a transaction with an ID open in database postgres during each latency run (warm-up included)")
	retained := flag.Int("retained", 1_000_000, "forwarded rows the retained phase keeps in the outbox")
	largeBacklog := flag.Int("large-backlog", 1_000_000, "rows of the large drain (at least 200,000)")
	phases := flag.String("phases", "drain,write,latency,idle,retained,large", "what to measure")
	flag.Parse()
	log.SetFlags(0)
	if err := run(context.Background(), *backlogs, *skipStock, time.Duration(*latencySeconds)*time.Second, *phases, *retained, *largeBacklog); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, backlogs string, skipStock bool, latencyRun time.Duration, phases string, retained, largeBacklog int) error {
	phase := func(name string) bool { return strings.Contains(","+phases+",", ","+name+",") }
	if phase("drain") {
		fmt.Println("== drain rate (events/s) ==")
		sizes := strings.Split(backlogs, ",")
		for i, s := range sizes {
			n, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("-backlogs: %w", err)
			}
			opts.profiled = opts.cpuProfile != "" && i == len(sizes)-1
			ours, err := drain(ctx, false, n)
			if err != nil {
				return err
			}
			fmt.Printf("backlog %7d  ours  %8.0f/s\n", n, ours.rate)
			fmt.Printf("  %s\n", ours)
			if !skipStock {
				opts.profiled = false
				stock, err := drain(ctx, true, n)
				if err != nil {
					return err
				}
				fmt.Printf("backlog %7d  stock %8.0f/s   ours/stock %.1fx\n", n, stock.rate, ours.rate/stock.rate)
				fmt.Printf("  %s\n", stock)
			}
		}
	}
	maxRate := 0.0
	if phase("write") {
		fmt.Println("== write path: placements/s with and without the wake-up ==")
		var err error
		if maxRate, err = writePathCost(ctx); err != nil {
			return err
		}
	}
	if phase("latency") {
		fmt.Println("== commit -> Kafka latency (ours, wake-up by NOTIFY) ==")
		if err := latency(ctx, 10, latencyRun); err != nil {
			return err
		}
		loadRate := opts.loadRate
		if loadRate == 0 {
			loadRate = maxRate / 2
		}
		if loadRate > 0 {
			if err := latency(ctx, loadRate, latencyRun); err != nil {
				return err
			}
		}
	}
	if phase("idle") {
		fmt.Printf("== idle CPU (ours, %d shards, idle poll 1s) ==\n", opts.shards)
		if err := idleCPU(ctx, 20*time.Second); err != nil {
			return err
		}
	}
	if phase("retained") {
		fmt.Printf("== idle CPU and commit -> Kafka at 10 orders/s, empty outbox and %d forwarded rows retained ==\n", retained)
		if err := retainedCost(ctx, retained, latencyRun); err != nil {
			return err
		}
	}
	if phase("large") {
		fmt.Printf("== drain of a large backlog (ours, %d shards) ==\n", opts.shards)
		if err := largeDrain(ctx, largeBacklog); err != nil {
			return err
		}
	}
	return nil
}
