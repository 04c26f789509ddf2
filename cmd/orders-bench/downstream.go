package main

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"io"
	"maps"
	"time"

	"github.com/orderflow/orders/adapters/postgres"
)

// downstreamResult is the `make run` topology under load: one `orders all`
// process (API, forwarder, inventory, payment, saga) on a fresh database
// and fresh topics, every SKU stocked and no payment declined, so every
// order should end confirmed.
type downstreamResult struct {
	Burst      *burstResult
	Quiet      *sustainedPhase   // at SustainedQuietRate: what low load pays
	Sustained  []*sustainedPhase // at SustainedLowRate, then at half the maximum placement rate
	Capacity   *capacitySearch   // the highest rate sustained, between the two
	Limit      *orderLimit       // pgbench on one confirmed order's statements, before the rest
	Statements *statementsResult // PostgreSQL during the burst
	EndTimeout time.Duration     // how long each phase waited for the end states
	PeakRSS    []usage           // bytes
}

// phases are every open-loop phase that ran, in order.
func (d *downstreamResult) phases() []*sustainedPhase {
	var out []*sustainedPhase
	if d.Quiet != nil {
		out = append(out, d.Quiet)
	}
	if len(d.Sustained) > 0 {
		out = append(out, d.Sustained[0])
	}
	if d.Capacity != nil {
		for _, s := range d.Capacity.Steps {
			out = append(out, s.Phase)
		}
	}
	if len(d.Sustained) > 1 {
		out = append(out, d.Sustained[1:]...)
	}
	return out
}

// capacityStart is the step search's first rate over the burst's end-to-end
// rate: the burst ends with a backlog, so its rate is above what holds a
// p99 of a second; starting a little below it saves steps.
const capacityStart = 0.8

// downstreamRun is what the phases of the section share.
type downstreamRun struct {
	p      *pipeline
	db     *sql.DB
	lag    *lagMeter
	placer *placer
	// groups are the orders process, PostgreSQL and Kafka: what an order
	// costs (the load generator is measured apart).
	groups []processGroup
}

// measureDownstream runs pgbench on one confirmed order's statements, then
// on one `orders all` process the burst, the quiet and the low rate, the
// step search for the sustained capacity and half the maximum placement
// rate.
func measureDownstream(ctx context.Context, e *environment, o options, wp *writePathResult, log io.Writer) (*downstreamResult, error) {
	halfRate := wp.MaxRate / 2
	res := &downstreamResult{EndTimeout: o.EndTimeout}
	var err error
	if res.Limit, err = measureOrderLimit(ctx, e, o); err != nil {
		return nil, fmt.Errorf("pgbench on one confirmed order: %w", err)
	}
	fmt.Fprintf(log, "downstream: pgbench on one confirmed order's %d transactions and %d statements outside one (%d statements): %.0f orders/s at %d clients\n",
		res.Limit.Transactions, res.Limit.Standalone, res.Limit.Statements, res.Limit.Rate, res.Limit.Clients)
	fmt.Fprintf(log, "downstream: orders all; a burst of %d orders from %d clients, then %.0f and %.0f orders/s for %s each, the step search, %.0f orders/s\n",
		o.BurstOrders, o.BurstClients, o.SustainedQuietRate, o.SustainedLowRate, o.Sustained, halfRate)
	// The earlier phases' databases, pgbench's among them, go before the
	// pipeline starts: the autovacuum of their last writes would run beside
	// the burst and the quiet rate.
	e.release()
	p, err := preparePipeline(ctx, e, 0)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	if err := p.startAllInOne(ctx); err != nil {
		return nil, err
	}
	db, err := postgres.Open(ctx, p.db.url)
	if err != nil {
		return nil, err
	}
	defer func() { _ = db.Close() }()
	kafkaProc, err := kafkaBroker()
	if err != nil {
		return nil, err
	}
	lag, err := newLagMeter(e, p.groups)
	if err != nil {
		return nil, err
	}
	defer lag.close()
	sampler := startMemorySampler([]processGroup{postgresServer{}, kafkaProc}, 500*time.Millisecond)
	d := &downstreamRun{p: p, db: db, lag: lag, placer: newPlacer(p.api.base, 256),
		groups: []processGroup{p.api.process(), postgresServer{}, kafkaProc}}
	defer d.placer.close()

	// Warm up: the consumers join their groups, every pool connects.
	warm, _, firstErr := openLoop(ctx, d.placer, 20, time.Second)
	if len(warm) == 0 {
		return nil, fmt.Errorf("warm-up placed no order: %s", firstErr)
	}
	if s, err := settle(ctx, db, lag, time.Now(), max(o.EndTimeout, time.Minute), nil); err != nil {
		return nil, err
	} else if s.LagZero < 0 {
		return nil, fmt.Errorf("the warm-up's %d orders: %d not ended, lag %v; log: %s", len(warm), s.NotEnded, s.LagLeft, p.api.log)
	}

	before := snapshotStatements(ctx, p.db.name)
	if res.Burst, err = d.burst(ctx, o, wp); err != nil {
		return nil, err
	}
	res.Statements = statementsBetween(before, snapshotStatements(ctx, p.db.name), res.Burst.Confirmed)
	if res.Statements.Missing != "" {
		fmt.Fprintf(log, "  %s\n", res.Statements.Missing)
	}
	fmt.Fprintf(log, "  burst: %d placed at %.0f/s, %d confirmed, %d cancelled, %d not ended; end to end %.0f/s; in batches %s\n",
		res.Burst.Placed, res.Burst.PlacementRate, res.Burst.Confirmed, res.Burst.Cancelled, res.Burst.Settling.NotEnded, res.Burst.EndToEndRate, batchList(res.Burst.Batches))
	// Each phase starts once the one before has caught up; one that did
	// not catch up skips the rest.
	settled := res.Burst.Settling.LagZero >= 0
	phase := func(rate float64) (*sustainedPhase, error) {
		if !settled {
			fmt.Fprintf(log, "  %.0f orders/s not run: the pipeline had not caught up within %s\n", rate, o.EndTimeout)
			return nil, nil
		}
		ph, err := d.sustained(ctx, rate, o.Sustained, o)
		if err != nil {
			return nil, err
		}
		settled = ph.Settling.LagZero >= 0
		fmt.Fprintf(log, "  %.0f orders/s: %d placed, %d confirmed; every order ended %s and no lag %s after the last placement; in batches %s\n",
			rate, ph.Placed, ph.Confirmed, after(ph.Settling.AllEnded), after(ph.Settling.LagZero), batchList(ph.Batches))
		return ph, nil
	}
	if res.Quiet, err = phase(o.SustainedQuietRate); err != nil {
		return nil, err
	}
	low, err := phase(o.SustainedLowRate)
	if err != nil {
		return nil, err
	}
	if low != nil {
		res.Sustained = append(res.Sustained, low)
	}
	if settled && o.CapacitySteps > 0 {
		start := cmp.Or(o.CapacityFrom, capacityStart*res.Burst.EndToEndRate)
		if res.Capacity, err = d.searchCapacity(ctx, start, o, log); err != nil {
			return nil, err
		}
		last := res.Capacity.Steps[len(res.Capacity.Steps)-1].Phase
		settled = last.Settling.LagZero >= 0
		fmt.Fprintf(log, "  sustained capacity: %.0f orders/s\n", res.Capacity.Capacity)
	}
	half, err := phase(halfRate)
	if err != nil {
		return nil, err
	}
	if half != nil {
		res.Sustained = append(res.Sustained, half)
	}
	res.PeakRSS = append([]usage{{"orders all", float64(p.api.process().peak())}}, sampler.stop()...)
	if err := p.check(); err != nil {
		return nil, err
	}
	return res, confirmationTimes(ctx, e, p, db, res)
}

// startAllInOne runs the `make run` topology on a prepared pipeline: one
// `orders all` process, and gives every SKU plenty of stock.
func (p *pipeline) startAllInOne(ctx context.Context) error {
	env := maps.Clone(p.env)
	urls := map[string]string{}
	for _, v := range []string{"HTTP_ADDR", "INVENTORY_HTTP_ADDR", "PAYMENT_HTTP_ADDR", "PPROF_ADDR", "METRICS_ADDR"} {
		addr, err := freeAddr(ctx)
		if err != nil {
			return err
		}
		env[v], urls[v] = addr, "http://"+addr
	}
	env["PAYMENT_DECLINE_ABOVE"] = "1000000000000" // minor units: no order of the load generator comes near
	c, err := startOrders(p.e.ordersBin, "all", p.e.dir, env)
	if err != nil {
		return err
	}
	p.children = append(p.children, c)
	p.api = &api{child: c, base: urls["HTTP_ADDR"], pprof: urls["PPROF_ADDR"], metrics: urls["METRICS_ADDR"]}
	p.inventory = urls["INVENTORY_HTTP_ADDR"]
	for _, u := range []string{p.api.base + "/healthz", p.inventory + "/healthz", urls["PAYMENT_HTTP_ADDR"] + "/healthz"} {
		if err := c.waitHTTP(ctx, u, 60*time.Second); err != nil {
			return err
		}
	}
	return p.stockUp(ctx)
}

func after(d time.Duration) string {
	if d < 0 {
		return "never (within the timeout)"
	}
	return d.Round(time.Millisecond).String()
}
