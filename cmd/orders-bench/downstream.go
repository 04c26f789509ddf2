package main

import (
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
	Sustained  []*sustainedPhase // at SustainedLowRate, then at half the maximum placement rate
	Statements *statementsResult // PostgreSQL during the burst
	EndTimeout time.Duration     // how long each phase waited for the end states
	PeakRSS    []usage           // bytes
}

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

// measureDownstream runs the burst, then the sustained rates, on one
// `orders all` process.
func measureDownstream(ctx context.Context, e *environment, o options, wp *writePathResult, log io.Writer) (*downstreamResult, error) {
	halfRate := wp.MaxRate / 2
	fmt.Fprintf(log, "downstream: orders all; a burst of %d orders from %d clients, then %.0f and %.0f orders/s for %s each\n",
		o.BurstOrders, o.BurstClients, o.SustainedLowRate, halfRate, o.Sustained)
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

	res := &downstreamResult{EndTimeout: o.EndTimeout}
	before := snapshotStatements(ctx, p.db.name)
	if res.Burst, err = d.burst(ctx, o, wp); err != nil {
		return nil, err
	}
	res.Statements = statementsBetween(before, snapshotStatements(ctx, p.db.name), res.Burst.Confirmed)
	if res.Statements.Missing != "" {
		fmt.Fprintf(log, "  %s\n", res.Statements.Missing)
	}
	fmt.Fprintf(log, "  burst: %d placed at %.0f/s, %d confirmed, %d cancelled, %d not ended; end to end %.0f/s\n",
		res.Burst.Placed, res.Burst.PlacementRate, res.Burst.Confirmed, res.Burst.Cancelled, res.Burst.Settling.NotEnded, res.Burst.EndToEndRate)
	settled := res.Burst.Settling.LagZero >= 0
	for _, rate := range []float64{o.SustainedLowRate, halfRate} {
		if !settled {
			fmt.Fprintf(log, "  %.0f orders/s not run: the pipeline had not caught up within %s\n", rate, o.EndTimeout)
			continue
		}
		ph, err := d.sustained(ctx, rate, o)
		if err != nil {
			return nil, err
		}
		res.Sustained = append(res.Sustained, ph)
		settled = ph.Settling.LagZero >= 0
		fmt.Fprintf(log, "  %.0f orders/s: %d placed, %d confirmed; every order ended %s and no lag %s after the last placement\n",
			rate, ph.Placed, ph.Confirmed, after(ph.Settling.AllEnded), after(ph.Settling.LagZero))
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
	for _, v := range []string{"HTTP_ADDR", "INVENTORY_HTTP_ADDR", "PAYMENT_HTTP_ADDR"} {
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
	p.api, p.inventory = &api{child: c, base: urls["HTTP_ADDR"]}, urls["INVENTORY_HTTP_ADDR"]
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
