// Command bench measures the outbox forwarder on the real PostgreSQL and
// Kafka, beside Watermill's stock configuration in the same run:
//
//   - drain rate from a 10,000 and a 100,000 message backlog, ours (8
//     shards, SchemaAdapter, batch 1000) and stock (DefaultPostgreSQLSchema,
//     batch 100, poll 1s, one SQL topic), same Kafka producer settings;
//   - commit-to-Kafka latency (broker append time minus commit time) at 10
//     orders/s and at half the maximum placement rate;
//   - CPU of an idle forwarder and of PostgreSQL meanwhile;
//   - what the wake-up (a coalesced NOTIFY after commit) costs the write path.
//
// Run it with `go run ./adapters/outbox/bench` (-h lists the flags). It
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
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/adapters/outbox/relay"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/internal/testenv"
)

// settings are the flags that shape our forwarder.
type settings struct {
	producerPerShard bool
	shards           int
	batchSize        int
	cpuProfile       string
	latencyProfile   string
	loadRate         float64
	profiled         bool
}

var opts = settings{producerPerShard: true, shards: outbox.DefaultShards}

// logger is what the forwarder logs to: the production handler and level,
// discarded.
var logger = watermill.NewSlogLogger(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})))

// outboxConfig is the bench's outbox: the orders outbox with -shards.
func outboxConfig() outbox.Config {
	return outbox.Config{Name: outbox.Orders.Name, Shards: opts.shards}
}

// ourConfig is the forwarder configuration the benchmark measures.
func ourConfig(e env, publisher message.Publisher) relay.Config {
	cfg := relay.Config{Outbox: outboxConfig(), ListenURL: e.url, BatchSize: opts.batchSize, Publisher: publisher}
	if opts.producerPerShard {
		cfg.PublisherPerShard = func() (message.Publisher, error) { return kafka.NewPublisher(e.brokers, logger) }
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
	flag.StringVar(&opts.cpuProfile, "cpuprofile", "", "write a CPU profile of our largest drain to this file")
	flag.StringVar(&opts.latencyProfile, "latency-cpuprofile", "", "write a CPU profile of the latency run at half the maximum rate to this file")
	flag.Float64Var(&opts.loadRate, "load-rate", 0, "rate of the second latency run (0: half the maximum placement rate the write phase measured)")
	phases := flag.String("phases", "drain,write,latency,idle", "what to measure")
	flag.Parse()
	log.SetFlags(0)
	if err := run(context.Background(), *backlogs, *skipStock, time.Duration(*latencySeconds)*time.Second, *phases); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, backlogs string, skipStock bool, latencyRun time.Duration, phases string) error {
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
	return nil
}

// env is a fresh, migrated database and a fresh topic.
type env struct {
	db      *sql.DB
	url     string
	brokers []string
	topic   string
	drop    func(context.Context)
}

func newEnv(ctx context.Context, partitions int32, logAppendTime bool) (e env, err error) {
	server, err := postgres.Open(ctx, testenv.DatabaseURL())
	if err != nil {
		return env{}, err
	}
	name := "bench_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	if _, err := server.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = server.Close()
		return env{}, err
	}
	brokers := testenv.KafkaBrokers()
	topic := "bench." + name
	e = env{url: testenv.URLFor(name), brokers: brokers, topic: topic}
	e.drop = func(ctx context.Context) {
		if e.db != nil {
			_ = e.db.Close()
		}
		_, _ = server.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		_ = server.Close()
		_ = deleteTopic(brokers, topic)
	}
	defer func() {
		if err != nil {
			e.drop(ctx)
		}
	}()
	if e.db, err = postgres.Open(ctx, e.url); err != nil {
		return e, err
	}
	if err := postgres.Migrate(ctx, e.db); err != nil {
		return e, err
	}
	if opts.shards != outbox.Orders.Shards {
		if err := admin.ChangeShards(ctx, e.db, outbox.Orders.Name, opts.shards); err != nil {
			return e, err
		}
	}
	if err := createTopic(brokers, topic, partitions, logAppendTime); err != nil {
		return e, err
	}
	return e, nil
}

func createTopic(brokers []string, topic string, partitions int32, logAppendTime bool) error {
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		return err
	}
	defer func() { _ = admin.Close() }()
	detail := &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}
	if logAppendTime {
		v := "LogAppendTime"
		detail.ConfigEntries = map[string]*string{"message.timestamp.type": &v}
	}
	return admin.CreateTopic(topic, detail, false)
}

func deleteTopic(brokers []string, topic string) error {
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		return err
	}
	defer func() { _ = admin.Close() }()
	return admin.DeleteTopic(topic)
}

// records returns the number of records on topic (sum of high-water marks).
func records(client sarama.Client, topic string) int64 {
	if err := client.RefreshMetadata(topic); err != nil {
		return 0
	}
	parts, err := client.Partitions(topic)
	if err != nil {
		return 0
	}
	var total int64
	for _, p := range parts {
		off, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err == nil {
			total += off
		}
	}
	return total
}

func newMessage(orderID string, version int) *message.Message {
	payload, _ := json.Marshal(map[string]any{
		"event_id": uuid.NewString(), "event_type": "OrderPlaced", "order_id": orderID, "version": version,
		"occurred_at": time.Now().UTC(), "data": map[string]any{"customer_id": "c-1", "total": 1500, "currency": "EUR"},
	})
	msg := message.NewMessage(uuid.NewString(), payload)
	msg.Metadata.Set(outbox.MetadataPartitionKey, orderID)
	msg.Metadata.Set("name", "OrderPlaced")
	return msg
}

const stockTopic = "bench_stock"

// newOurPublisher returns a publisher into our outbox that calls wakeUp,
// if not nil, after each commit.
func newOurPublisher(wakeUp func()) (*outbox.Publisher, error) {
	return outbox.NewPublisher(outbox.PublisherConfig{Outbox: outboxConfig(), WakeUp: wakeUp}, nil)
}

// notifier returns the Wake of a Notifier of our outbox.
func notifier(db *sql.DB) (func(), error) {
	n, err := relay.NewNotifier(db, relay.NotifierConfig{Outbox: outboxConfig()}, nil)
	if err != nil {
		return nil, err
	}
	return n.Wake, nil
}

// fillBacklog writes n messages, 100 per transaction, through the
// forwarder's envelope into the stock topic or our shards.
func fillBacklog(ctx context.Context, e env, stock bool, n int) error {
	pub, err := newOurPublisher(nil)
	if err != nil {
		return err
	}
	for written := 0; written < n; {
		msgs := make([]*message.Message, 0, 100)
		for i := 0; i < 100 && written < n; i++ {
			msgs = append(msgs, newMessage(uuid.NewString(), 1))
			written++
		}
		err := pgtx.Do(ctx, e.db, func(uow *pgtx.UnitOfWork) error {
			if !stock {
				return pub.Publish(ctx, uow, e.topic, msgs...)
			}
			sqlPub, err := watermillsql.NewPublisher(uow.Tx, watermillsql.PublisherConfig{SchemaAdapter: watermillsql.DefaultPostgreSQLSchema{}}, nil)
			if err != nil {
				return err
			}
			return forwarder.NewPublisher(sqlPub, forwarder.PublisherConfig{ForwarderTopic: stockTopic}).Publish(e.topic, msgs...)
		})
		if err != nil {
			return err
		}
	}
	_, err = e.db.ExecContext(ctx, "VACUUM ANALYZE")
	return err
}

// drainResult is one drain's rate, the time to the first record, and the
// CPU used meanwhile.
type drainResult struct {
	rate       float64
	firstAfter time.Duration
	cpu        cpuShares
}

func (r drainResult) String() string {
	return fmt.Sprintf("first record after %v; CPU while draining (%% of one core): %s", r.firstAfter.Round(time.Millisecond), r.cpu)
}

// drain fills a backlog of n and returns the rate at which the forwarder
// moves it to Kafka, from the first record on Kafka to the last.
func drain(ctx context.Context, stock bool, n int) (res drainResult, err error) {
	e, err := newEnv(ctx, 6, false)
	if err != nil {
		return res, err
	}
	defer e.drop(ctx)
	if stock {
		sub, err := watermillsql.NewSubscriber(e.db, watermillsql.SubscriberConfig{
			ConsumerGroup: "bench", SchemaAdapter: watermillsql.DefaultPostgreSQLSchema{},
			OffsetsAdapter: watermillsql.DefaultPostgreSQLOffsetsAdapter{},
		}, nil)
		if err != nil {
			return res, err
		}
		if err := sub.SubscribeInitialize(stockTopic); err != nil {
			return res, err
		}
		_ = sub.Close()
	}
	if err := fillBacklog(ctx, e, stock, n); err != nil {
		return res, err
	}

	publisher, err := kafka.NewPublisher(e.brokers, logger)
	if err != nil {
		return res, err
	}
	defer func() { _ = publisher.Close() }()
	var run func(context.Context) error
	if stock {
		sub, err := watermillsql.NewSubscriber(e.db, watermillsql.SubscriberConfig{
			ConsumerGroup: "bench", SchemaAdapter: watermillsql.DefaultPostgreSQLSchema{},
			OffsetsAdapter: watermillsql.DefaultPostgreSQLOffsetsAdapter{},
		}, logger)
		if err != nil {
			return res, err
		}
		fwd, err := forwarder.NewForwarder(sub, publisher, logger, forwarder.Config{ForwarderTopic: stockTopic})
		if err != nil {
			return res, err
		}
		run = fwd.Run
	} else {
		fwd, err := relay.NewRelay(e.db, ourConfig(e, publisher), logger)
		if err != nil {
			return res, err
		}
		run = fwd.Run
	}
	client, err := newClient(e.brokers)
	if err != nil {
		return res, err
	}
	defer func() { _ = client.Close() }()

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- run(runCtx) }()
	var first time.Time
	var atFirst int64
	var cpu0 cpuTimes
	for {
		got := records(client, e.topic)
		if got > 0 && first.IsZero() {
			first, atFirst, cpu0 = time.Now(), got, readCPU()
			if opts.profiled {
				if err := startProfile(); err != nil {
					cancel()
					return res, errors.Join(err, <-done)
				}
			}
		}
		if got >= int64(n) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(first)
	cpu := readCPU().since(cpu0, elapsed)
	if opts.profiled {
		pprof.StopCPUProfile()
	}
	cancel()
	if err := <-done; err != nil {
		return res, err
	}
	return drainResult{rate: float64(int64(n)-atFirst) / elapsed.Seconds(), firstAfter: first.Sub(start), cpu: cpu}, nil
}

func startProfile() error {
	f, err := os.Create(opts.cpuProfile)
	if err != nil {
		return err
	}
	return pprof.StartCPUProfile(f)
}

func newClient(brokers []string) (sarama.Client, error) {
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	return sarama.NewClient(brokers, cfg)
}

// placer writes placements: one transaction with a business row and its
// outbox message, the wake-up after the commit when pub has a notifier.
type placer struct {
	db    *sql.DB
	pub   *outbox.Publisher
	topic string
}

func (p placer) place(ctx context.Context) (time.Time, string, error) {
	at, _, id, err := p.placeTimed(ctx)
	return at, id, err
}

// placeTimed is place that also returns when the transaction began.
func (p placer) placeTimed(ctx context.Context) (committed, began time.Time, id string, err error) {
	id = uuid.NewString()
	began = time.Now()
	err = pgtx.Do(ctx, p.db, func(uow *pgtx.UnitOfWork) error {
		if _, err := uow.Tx.ExecContext(ctx, `INSERT INTO bench_orders (id, body) VALUES ($1, $2)`, id, `{"customer_id":"c-1","total":1500}`); err != nil {
			return err
		}
		return p.pub.Publish(ctx, uow, p.topic, newMessage(id, 1))
	})
	if err != nil {
		return time.Time{}, time.Time{}, "", err
	}
	committed = time.Now()
	return committed, began, id, nil
}

func createBenchTable(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `CREATE TABLE bench_orders (id UUID PRIMARY KEY, body JSONB NOT NULL)`)
	return err
}

// maxPlacementRate places with 16 writers for d and returns placements/s.
func maxPlacementRate(ctx context.Context, p placer, d time.Duration) (float64, error) {
	var n atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if _, _, err := p.place(ctx); err != nil {
					errs <- err
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(n.Load()) / d.Seconds(), nil
}

// writePathCost compares the placement rate without and with the wake-up
// (no forwarder running: the write path alone), alternating three times,
// and returns the rate with the wake-up.
func writePathCost(ctx context.Context) (float64, error) {
	e, err := newEnv(ctx, 6, false)
	if err != nil {
		return 0, err
	}
	defer e.drop(ctx)
	if err := createBenchTable(ctx, e.db); err != nil {
		return 0, err
	}
	plainPub, err := newOurPublisher(nil)
	if err != nil {
		return 0, err
	}
	wake, err := notifier(e.db)
	if err != nil {
		return 0, err
	}
	withWake, err := newOurPublisher(wake)
	if err != nil {
		return 0, err
	}
	plain := placer{db: e.db, pub: plainPub, topic: e.topic}
	woken := placer{db: e.db, pub: withWake, topic: e.topic}
	if _, err := maxPlacementRate(ctx, plain, 2*time.Second); err != nil { // warm up
		return 0, err
	}
	var without, with float64
	for range 3 {
		r, err := maxPlacementRate(ctx, plain, 5*time.Second)
		if err != nil {
			return 0, err
		}
		without += r
		if r, err = maxPlacementRate(ctx, woken, 5*time.Second); err != nil {
			return 0, err
		}
		with += r
	}
	without, with = without/3, with/3
	fmt.Printf("without wake-up %7.0f/s   with wake-up %7.0f/s   cost %.1f%%\n", without, with, 100*(without-with)/without)
	return with, nil
}

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
	publisher, err := kafka.NewPublisher(e.brokers, logger)
	if err != nil {
		return err
	}
	defer func() { _ = publisher.Close() }()
	fwd, err := relay.NewRelay(e.db, ourConfig(e, publisher), logger)
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
	fmt.Printf("  placement transactions (begin to commit): %s\n", percentiles(txTimes))
	fmt.Printf("  CPU meanwhile (%% of one core): bench and forwarder process %s\n", strings.TrimPrefix(cpu.String(), "forwarder process "))
	return nil
}

// idleCPU runs an idle forwarder for d and reports its CPU and the
// database server's, as a share of one core.
func idleCPU(ctx context.Context, d time.Duration) error {
	e, err := newEnv(ctx, 6, false)
	if err != nil {
		return err
	}
	defer e.drop(ctx)
	publisher, err := kafka.NewPublisher(e.brokers, logger)
	if err != nil {
		return err
	}
	defer func() { _ = publisher.Close() }()
	fwd, err := relay.NewRelay(e.db, ourConfig(e, publisher), logger)
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
