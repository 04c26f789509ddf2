// This file is over 250 lines: the end-to-end run (start the processes,
// drive the load, sample, wait for the end states) is one sequence.

package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/kafka"
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
	fmt.Fprintf(log, "end to end: orders api, forward%s as processes; rates %.0f orders/s\n", listed(consumers), rates)
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
		ph.Busy = backgroundShare(busy1-busy0, 0, ph.Settled)
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

// waiter waits until placed orders have been handled: until each has its
// reservation when the inventory runs, else until their records are on
// Kafka (the API is then the topic's only writer).
type waiter struct {
	db      *sql.DB
	effects bool
	client  sarama.Client
	topic   string
	onKafka int64 // records expected on the topic so far
}

func newWaiter(p *pipeline, db *sql.DB) (*waiter, error) {
	if p.inventory != "" {
		return &waiter{db: db, effects: true}, nil
	}
	client, err := newKafkaClient(p.e.brokers)
	if err != nil {
		return nil, err
	}
	return &waiter{db: db, client: client, topic: p.topic}, nil
}

func (w *waiter) close() {
	if w.client != nil {
		_ = w.client.Close()
	}
}

// wait returns how many of placed are still not handled at the timeout.
func (w *waiter) wait(ctx context.Context, placed []placement, timeout time.Duration) (int, error) {
	ids := make([]string, len(placed))
	for i, pl := range placed {
		ids[i] = pl.ID
	}
	w.onKafka += int64(len(placed))
	deadline := time.Now().Add(timeout)
	for {
		var missing int
		if w.effects {
			var n int
			if err := w.db.QueryRowContext(ctx, `SELECT count(*) FROM inventory_reservations WHERE order_id = ANY($1::uuid[])`, pq.Array(ids)).Scan(&n); err != nil {
				return 0, err
			}
			missing = len(ids) - n
		} else {
			missing = int(min(int64(len(ids)), max(0, w.onKafka-kafkaRecords(w.client, w.topic))))
		}
		if missing <= 0 {
			return 0, nil
		}
		if time.Now().After(deadline) {
			return missing, nil
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// latencies reads the OrderPlaced records' append times and the
// reservations' times, and fills in the phases' distributions.
func latencies(ctx context.Context, e *environment, p *pipeline, db *sql.DB, phases []*phase) error {
	appended := map[string]time.Time{}
	readCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	err := kafka.ReadTopic(readCtx, e.brokers, p.topic, false, func(r kafka.Record) error {
		if r.Headers["name"] == "OrderPlaced" {
			appended[r.Key] = r.Timestamp
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", p.topic, err)
	}
	for _, ph := range phases {
		ids := make([]string, len(ph.placements))
		for i, pl := range ph.placements {
			ids[i] = pl.ID
		}
		effect := map[string]time.Time{}
		if p.inventory != "" {
			if effect, err = timesOf(ctx, db, `SELECT order_id::text, created_at FROM inventory_reservations WHERE order_id = ANY($1::uuid[])`, ids); err != nil {
				return err
			}
		}
		txStart, err := timesOf(ctx, db, `SELECT stream_id::text, recorded_at FROM order_events WHERE version = 1 AND stream_id = ANY($1::uuid[])`, ids)
		if err != nil {
			return err
		}
		committed, err := commitTimes(ctx, db, ids)
		if err != nil {
			return err
		}
		var kafkaLow, kafkaHigh, kafkaCommit, effectLow, effectHigh, effectCommit, tx []time.Duration
		for _, pl := range ph.placements {
			at, onKafka := appended[pl.ID]
			eff, hasEffect := effect[pl.ID]
			start, hasStart := txStart[pl.ID]
			commit, hasCommit := committed[pl.ID]
			if !onKafka || (p.inventory != "" && !hasEffect) {
				ph.Missing++
			}
			if onKafka && hasStart {
				kafkaLow, kafkaHigh = append(kafkaLow, at.Sub(pl.Done)), append(kafkaHigh, at.Sub(start))
			}
			if hasEffect && hasStart {
				effectLow, effectHigh = append(effectLow, eff.Sub(pl.Done)), append(effectHigh, eff.Sub(start))
			}
			if hasCommit && hasStart {
				tx = append(tx, commit.Sub(start))
			}
			if hasCommit && onKafka {
				kafkaCommit = append(kafkaCommit, at.Sub(commit))
			}
			if hasCommit && hasEffect {
				effectCommit = append(effectCommit, eff.Sub(commit))
			}
		}
		ph.ToKafka = latencyBounds{Low: summarise(kafkaLow), High: summarise(kafkaHigh), Commit: summarise(kafkaCommit)}
		ph.ToEffect = latencyBounds{Low: summarise(effectLow), High: summarise(effectHigh), Commit: summarise(effectCommit)}
		ph.Transaction = summarise(tx)
		ph.kafkaPlot, ph.effectPlot = kafkaHigh, effectHigh
		if len(kafkaCommit) > 0 {
			ph.kafkaPlot, ph.effectPlot = kafkaCommit, effectCommit
		}
	}
	return nil
}

func timesOf(ctx context.Context, db *sql.DB, query string, ids []string) (_ map[string]time.Time, err error) {
	rows, err := db.QueryContext(ctx, query, pq.Array(ids))
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
	}()
	out := make(map[string]time.Time, len(ids))
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		out[id] = at
	}
	return out, rows.Err()
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

// latencyBounds are the distributions of a latency measured from a moment
// just after the commit (Low), from one before it (High), and from the
// commit timestamp (Commit; empty when the server does not track it).
type latencyBounds struct {
	Low, High, Commit distribution
}

// p99 is the latency's p99 to judge a target by: from the commit
// timestamp when there is one, otherwise the high bound.
func (b latencyBounds) p99() (time.Duration, bool) {
	if b.Commit.N > 0 {
		return b.Commit.P99, true
	}
	return b.High.P99, false
}
