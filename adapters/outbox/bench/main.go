// Command bench measures the outbox forwarder on the real PostgreSQL and
// Kafka, beside Watermill's stock configuration in the same run:
//
//   - drain rate from a 10,000 and a 100,000 message backlog, ours (8
//     shards, SchemaAdapter, batch 1000) and stock (DefaultPostgreSQLSchema,
//     batch 100, poll 1s, one SQL topic), same Kafka publisher settings;
//   - commit-to-Kafka latency (broker append time minus commit time) at 10
//     orders/s and at half the maximum placement rate;
//   - CPU of an idle forwarder and of PostgreSQL meanwhile;
//   - what the wake-up (a coalesced NOTIFY after commit) costs the write path.
//
// Run it with `go run ./adapters/outbox/bench` (flags: -backlogs, -skip-stock,
// -latency-seconds). It creates and drops databases bench_* on the server of
// TEST_DATABASE_URL and topics bench.* on KAFKA_BROKERS. Figures vary with the
// machine; nothing here is asserted.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
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
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/internal/testenv"
)

var producerPerShard = true

// ourConfig is the forwarder configuration the benchmark measures.
func ourConfig(e env) outbox.ForwarderConfig {
	cfg := outbox.ForwarderConfig{Outbox: outbox.OrdersOutbox, ListenURL: e.url}
	if producerPerShard {
		cfg.PublisherPerShard = func() (message.Publisher, error) { return kafka.NewPublisher(e.brokers, nil) }
	}
	return cfg
}

func main() {
	backlogs := flag.String("backlogs", "10000,100000", "backlog sizes to drain")
	skipStock := flag.Bool("skip-stock", false, "measure ours only")
	flag.BoolVar(&producerPerShard, "producer-per-shard", producerPerShard, "one Kafka producer per shard instead of a shared one")
	latencySeconds := flag.Int("latency-seconds", 20, "length of each latency run")
	flag.Parse()
	log.SetFlags(0)
	ctx := context.Background()

	fmt.Println("== drain rate (events/s) ==")
	for _, s := range strings.Split(*backlogs, ",") {
		n, err := strconv.Atoi(s)
		if err != nil {
			log.Fatalf("-backlogs: %v", err)
		}
		ours := drain(ctx, false, n)
		fmt.Printf("backlog %7d  ours  %8.0f/s\n", n, ours)
		if !*skipStock {
			stock := drain(ctx, true, n)
			fmt.Printf("backlog %7d  stock %8.0f/s   ours/stock %.1fx\n", n, stock, ours/stock)
		}
	}

	fmt.Println("== write path: placements/s with and without the wake-up ==")
	maxRate := writePathCost(ctx)

	fmt.Println("== commit -> Kafka latency (ours, wake-up by NOTIFY) ==")
	latency(ctx, 10, time.Duration(*latencySeconds)*time.Second)
	latency(ctx, maxRate/2, time.Duration(*latencySeconds)*time.Second)

	fmt.Println("== idle CPU (ours, 8 shards, idle poll 1s) ==")
	idleCPU(ctx, 20*time.Second)
}

// env is a fresh, migrated database and a fresh topic.
type env struct {
	db      *sql.DB
	url     string
	brokers []string
	topic   string
	drop    func()
}

func newEnv(ctx context.Context, partitions int32, logAppendTime bool) env {
	admin, err := postgres.Open(ctx, testenv.DatabaseURL())
	if err != nil {
		log.Fatal(err)
	}
	name := "bench_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		log.Fatal(err)
	}
	url := testenv.URLFor(name)
	db, err := postgres.Open(ctx, url)
	if err != nil {
		log.Fatal(err)
	}
	if err := postgres.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}
	brokers := testenv.KafkaBrokers()
	topic := "bench." + name
	if err := createTopic(brokers, topic, partitions, logAppendTime); err != nil {
		log.Fatal(err)
	}
	return env{db: db, url: url, brokers: brokers, topic: topic, drop: func() {
		_ = db.Close()
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		_ = admin.Close()
		_ = deleteTopic(brokers, topic)
	}}
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

// fillBacklog writes n messages, 100 per transaction, through the
// forwarder's envelope into the stock topic or our shards.
func fillBacklog(ctx context.Context, e env, stock bool, n int) {
	pub := outbox.NewPublisher(nil)
	for written := 0; written < n; {
		tx, err := e.db.BeginTx(ctx, nil)
		if err != nil {
			log.Fatal(err)
		}
		msgs := make([]*message.Message, 0, 100)
		for i := 0; i < 100 && written < n; i++ {
			msgs = append(msgs, newMessage(uuid.NewString(), 1))
			written++
		}
		if stock {
			sqlPub, err := watermillsql.NewPublisher(tx, watermillsql.PublisherConfig{SchemaAdapter: watermillsql.DefaultPostgreSQLSchema{}}, nil)
			if err != nil {
				log.Fatal(err)
			}
			err = forwarder.NewPublisher(sqlPub, forwarder.PublisherConfig{ForwarderTopic: stockTopic}).Publish(e.topic, msgs...)
			if err != nil {
				log.Fatal(err)
			}
		} else if err := pub.Publish(ctx, tx, e.topic, msgs...); err != nil {
			log.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := e.db.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
		log.Fatal(err)
	}
}

// drain fills a backlog of n and returns the rate at which the forwarder
// moves it to Kafka.
func drain(ctx context.Context, stock bool, n int) float64 {
	e := newEnv(ctx, 6, false)
	defer e.drop()
	if stock {
		sub, err := watermillsql.NewSubscriber(e.db, watermillsql.SubscriberConfig{
			ConsumerGroup: "bench", SchemaAdapter: watermillsql.DefaultPostgreSQLSchema{},
			OffsetsAdapter: watermillsql.DefaultPostgreSQLOffsetsAdapter{},
		}, nil)
		if err != nil {
			log.Fatal(err)
		}
		if err := sub.SubscribeInitialize(stockTopic); err != nil {
			log.Fatal(err)
		}
		_ = sub.Close()
	}
	fillBacklog(ctx, e, stock, n)

	publisher, err := kafka.NewPublisher(e.brokers, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = publisher.Close() }()
	var run func(context.Context) error
	if stock {
		sub, err := watermillsql.NewSubscriber(e.db, watermillsql.SubscriberConfig{
			ConsumerGroup: "bench", SchemaAdapter: watermillsql.DefaultPostgreSQLSchema{},
			OffsetsAdapter: watermillsql.DefaultPostgreSQLOffsetsAdapter{},
		}, nil)
		if err != nil {
			log.Fatal(err)
		}
		fwd, err := forwarder.NewForwarder(sub, publisher, watermill.NopLogger{}, forwarder.Config{ForwarderTopic: stockTopic})
		if err != nil {
			log.Fatal(err)
		}
		run = fwd.Run
	} else {
		fwd, err := outbox.NewForwarder(e.db, publisher, ourConfig(e), nil)
		if err != nil {
			log.Fatal(err)
		}
		run = fwd.Run
	}
	client := newClient(e.brokers)
	defer func() { _ = client.Close() }()

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- run(runCtx) }()
	for records(client, e.topic) < int64(n) {
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	cancel()
	if err := <-done; err != nil {
		log.Fatal(err)
	}
	return float64(n) / elapsed.Seconds()
}

func newClient(brokers []string) sarama.Client {
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		log.Fatal(err)
	}
	return client
}

// placer writes placements: one transaction with a business row and its
// outbox message, the wake-up after the commit when pub has a notifier.
type placer struct {
	db    *sql.DB
	pub   *outbox.Publisher
	topic string
}

func (p placer) place(ctx context.Context) (time.Time, string, error) {
	id := uuid.NewString()
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return time.Time{}, "", err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `INSERT INTO bench_orders (id, body) VALUES ($1, $2)`, id, `{"customer_id":"c-1","total":1500}`); err != nil {
		return time.Time{}, "", err
	}
	if err := p.pub.Publish(ctx, tx, p.topic, newMessage(id, 1)); err != nil {
		return time.Time{}, "", err
	}
	if err := tx.Commit(); err != nil {
		return time.Time{}, "", err
	}
	committed := time.Now()
	p.pub.Committed()
	return committed, id, nil
}

func createBenchTable(ctx context.Context, db *sql.DB) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE bench_orders (id UUID PRIMARY KEY, body JSONB NOT NULL)`); err != nil {
		log.Fatal(err)
	}
}

// maxPlacementRate places with 16 writers for d and returns placements/s.
func maxPlacementRate(ctx context.Context, p placer, d time.Duration) float64 {
	var n atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if _, _, err := p.place(ctx); err != nil {
					log.Fatal(err)
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / d.Seconds()
}

// writePathCost compares the placement rate without and with the wake-up
// (no forwarder running: the write path alone), alternating three times,
// and returns the rate with the wake-up.
func writePathCost(ctx context.Context) float64 {
	e := newEnv(ctx, 6, false)
	defer e.drop()
	createBenchTable(ctx, e.db)
	plain := placer{db: e.db, pub: outbox.NewPublisher(nil), topic: e.topic}
	withWake, err := outbox.NewPublisherFor(outbox.OrdersOutbox, outbox.NewNotifier(e.db, outbox.OrdersOutbox.Name, 0, nil), nil)
	if err != nil {
		log.Fatal(err)
	}
	woken := placer{db: e.db, pub: withWake, topic: e.topic}
	maxPlacementRate(ctx, plain, 2*time.Second) // warm up
	var without, with float64
	for range 3 {
		without += maxPlacementRate(ctx, plain, 5*time.Second)
		with += maxPlacementRate(ctx, woken, 5*time.Second)
	}
	without, with = without/3, with/3
	fmt.Printf("without wake-up %7.0f/s   with wake-up %7.0f/s   cost %.1f%%\n", without, with, 100*(without-with)/without)
	return with
}

// latency places orders at rate/s for d with the forwarder running and
// reports commit -> broker append latency.
func latency(ctx context.Context, rate float64, d time.Duration) {
	e := newEnv(ctx, 6, true)
	defer e.drop()
	createBenchTable(ctx, e.db)
	publisher, err := kafka.NewPublisher(e.brokers, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = publisher.Close() }()
	fwd, err := outbox.NewForwarder(e.db, publisher, ourConfig(e), nil)
	if err != nil {
		log.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- fwd.Run(runCtx) }()
	time.Sleep(time.Second)

	pub, err := outbox.NewPublisherFor(outbox.OrdersOutbox, outbox.NewNotifier(e.db, outbox.OrdersOutbox.Name, 0, nil), nil)
	if err != nil {
		log.Fatal(err)
	}
	p := placer{db: e.db, pub: pub, topic: e.topic}
	var (
		mu        sync.Mutex
		committed = map[string]time.Time{}
		wg        sync.WaitGroup
	)
	interval := time.Duration(float64(time.Second) / rate)
	ticker := time.NewTicker(interval)
	stop := time.After(d)
	sent := 0
loop:
	for {
		select {
		case <-stop:
			break loop
		case <-ticker.C:
			wg.Add(1)
			sent++
			go func() {
				defer wg.Done()
				at, id, err := p.place(ctx)
				if err != nil {
					log.Fatal(err)
				}
				mu.Lock()
				committed[id] = at
				mu.Unlock()
			}()
		}
	}
	ticker.Stop()
	wg.Wait()

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
			log.Fatal(err)
		}
	}
	cancel()
	if err := <-done; err != nil {
		log.Fatal(err)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Printf("at %6.0f orders/s (%d placed, %d on Kafka): p50 %v  p90 %v  p99 %v  max %v\n",
		rate, sent, len(lat), pct(0.50).Round(100*time.Microsecond), pct(0.90).Round(100*time.Microsecond),
		pct(0.99).Round(100*time.Microsecond), pct(1).Round(100*time.Microsecond))
}

// idleCPU runs an idle forwarder for d and reports its CPU and the
// database server's, as a share of one core.
func idleCPU(ctx context.Context, d time.Duration) {
	e := newEnv(ctx, 6, false)
	defer e.drop()
	publisher, err := kafka.NewPublisher(e.brokers, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = publisher.Close() }()
	fwd, err := outbox.NewForwarder(e.db, publisher, ourConfig(e), nil)
	if err != nil {
		log.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- fwd.Run(runCtx) }()
	time.Sleep(2 * time.Second)
	self0, pg0 := processCPU(), postgresCPU()
	time.Sleep(d)
	self1, pg1 := processCPU(), postgresCPU()
	cancel()
	if err := <-done; err != nil {
		log.Fatal(err)
	}
	fmt.Printf("forwarder process %.2f%% of a core   PostgreSQL %.2f%% of a core (over %s)\n",
		100*(self1-self0).Seconds()/d.Seconds(), 100*(pg1-pg0).Seconds()/d.Seconds(), d)
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		log.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postgresCPU sums the CPU time of every process named postgres (all
// databases: the figure includes any other activity on the server).
func postgresCPU() time.Duration {
	matches, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < 0 || s[open+1:close] != "postgres" {
			continue
		}
		fields := strings.Fields(s[close+2:])
		if len(fields) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		ticks += utime + stime
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}
