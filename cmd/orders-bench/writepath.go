package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/adapters/postgres"
)

// writeStep is the write path at one number of concurrent clients, each
// figure the mean over the rounds.
type writeStep struct {
	Clients  int
	Service  float64 // orders/s over HTTP, outbox on
	NoOutbox float64 // orders/s over HTTP, OUTBOX_DISABLED=true
	Pgbench  float64 // transactions/s of pgbench on the same statements
	// Request latency of the service with the outbox, over all rounds.
	P50, P99 time.Duration
	Errors   int
	// CPU seconds per 1,000 orders: the API process, the PostgreSQL server,
	// the load generator (this process) or pgbench.
	ServiceCPU, NoOutboxCPU cpuPer1000
	// Background is the largest share of the machine that other processes
	// used during the step's measurements (PostgreSQL counted as ours).
	Background                   float64
	PgbenchCPU, PgbenchServerCPU float64
}

// writePathResult is the write-path section.
type writePathResult struct {
	Steps           []writeStep
	Script          string // the pgbench script, outbox shard 0
	Shards          int    // of the orders outbox
	MaxRate         float64
	MaxRateClients  int
	APIPeakRSS      int64 // the API with the outbox, VmHWM
	NoOutboxPeakRSS int64
	// The database the API with the outbox wrote to: its outbox is the
	// backlog the drain section forwards.
	Backlog database
	Topic   string
	// APIProfile is a CPU profile of the API at the reference client
	// count, taken after the rounds; read it with `go tool pprof -top
	// OrdersBinary APIProfile`.
	APIProfile, OrdersBinary string
}

func (r *writePathResult) step(clients int) *writeStep {
	for i := range r.Steps {
		if r.Steps[i].Clients == clients {
			return &r.Steps[i]
		}
	}
	return nil
}

// orderWriteScripts captures the transaction that places an order on the
// new database at url and turns it into pgbench scripts, one per shard of
// its orders outbox (a new database's: outbox.DefaultShards).
func orderWriteScripts(ctx context.Context, url, topic, dir string) (scripts []string, script string, shards int, err error) {
	pg, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, "", 0, err
	}
	defer func() { _ = pg.Close() }()
	if shards, err = admin.RecordedShards(ctx, pg, outbox.Orders.Name); err != nil {
		return nil, "", 0, err
	}
	stmts, err := captureOrderWrite(ctx, url, topic, outbox.Config{Name: outbox.Orders.Name, Shards: shards})
	if err != nil {
		return nil, "", 0, err
	}
	scripts, script, err = pgbenchScripts(ctx, pg, stmts, dir, shards)
	return scripts, script, shards, err
}

func measureWritePath(ctx context.Context, e *environment, o options, log io.Writer) (*writePathResult, error) {
	topic, err := e.newTopic("orders", 6, false)
	if err != nil {
		return nil, err
	}
	dbs := map[string]database{}
	for _, kind := range []string{"write", "nooutbox", "pgbench"} {
		if dbs[kind], err = e.newDatabase(ctx, kind); err != nil {
			return nil, err
		}
		if err := runOrders(ctx, e.ordersBin, "migrate", e.serviceEnv(dbs[kind], map[string]string{"ORDERS_TOPIC": topic})); err != nil {
			return nil, err
		}
		if o.WriteShards > 0 {
			if err := reshard(ctx, dbs[kind], o.WriteShards); err != nil {
				return nil, err
			}
		}
	}
	res := &writePathResult{Backlog: dbs["write"], Topic: topic}

	scripts, script, shards, err := orderWriteScripts(ctx, dbs["pgbench"].url, topic, e.dir)
	if err != nil {
		return nil, err
	}
	res.Script, res.Shards = script, shards

	pprofAddr, err := freeAddr(ctx)
	if err != nil {
		return nil, err
	}
	with, err := startAPI(ctx, e, dbs["write"], topic, map[string]string{"PPROF_ADDR": pprofAddr})
	if err != nil {
		return nil, err
	}
	defer func() { _ = with.stop() }()
	without, err := startAPI(ctx, e, dbs["nooutbox"], topic, map[string]string{"OUTBOX_DISABLED": "true"})
	if err != nil {
		return nil, err
	}
	defer func() { _ = without.stop() }()

	// pgbench's first transactions plan its statements; the APIs warm up
	// before each step.
	if _, err := runPgbench(ctx, o.Pgbench, dbs["pgbench"].url, scripts, 8, max(time.Second, o.Warmup)); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "write path: %d round(s) of %v clients, %s each (after %s warm-up)\n", o.Rounds, o.Clients, o.Step, o.Warmup)
	type sums struct {
		service, noOutbox, pgbench   float64
		serviceCPU, noOutboxCPU      cpuPer1000
		pgbenchCPU, pgbenchServerCPU float64
		latencies                    []time.Duration
		errors                       int
		background                   float64
	}
	acc := map[int]*sums{}
	for round := range o.Rounds {
		for _, clients := range o.Clients {
			s := acc[clients]
			if s == nil {
				s = &sums{}
				acc[clients] = s
			}
			r, cpu, err := serviceStep(ctx, with, clients, o)
			if err != nil {
				return nil, err
			}
			s.service += r.rate()
			s.serviceCPU = s.serviceCPU.add(cpu)
			s.latencies = append(s.latencies, r.Latencies...)
			s.errors += r.Errors

			r2, cpu2, err := serviceStep(ctx, without, clients, o)
			if err != nil {
				return nil, err
			}
			s.noOutbox += r2.rate()
			s.noOutboxCPU = s.noOutboxCPU.add(cpu2)
			s.errors += r2.Errors

			server0, busy0, t0 := postgresServer{}.CPU(), machineBusy(), time.Now()
			pb, err := runPgbench(ctx, o.Pgbench, dbs["pgbench"].url, scripts, clients, o.Step)
			if err != nil {
				return nil, err
			}
			server1, busy1 := postgresServer{}.CPU(), machineBusy()
			s.background = max(s.background, r.Background, r2.Background,
				backgroundShare(busy1-busy0, pb.CPU+(server1-server0), time.Since(t0)))
			txs := pb.TPS * o.Step.Seconds()
			s.pgbench += pb.TPS
			s.pgbenchCPU += per1000(pb.CPU, txs)
			s.pgbenchServerCPU += per1000(server1-server0, txs)
			fmt.Fprintf(log, "  round %d, %2d clients: service %6.0f/s  without outbox %6.0f/s  pgbench %6.0f/s\n",
				round+1, clients, r.rate(), r2.rate(), pb.TPS)
		}
	}
	n := float64(o.Rounds)
	for _, clients := range o.Clients {
		s := acc[clients]
		sortDurations(s.latencies)
		step := writeStep{
			Clients: clients, Service: s.service / n, NoOutbox: s.noOutbox / n, Pgbench: s.pgbench / n,
			P50: percentile(s.latencies, 0.50), P99: percentile(s.latencies, 0.99), Errors: s.errors,
			ServiceCPU: s.serviceCPU.div(n), NoOutboxCPU: s.noOutboxCPU.div(n),
			PgbenchCPU: s.pgbenchCPU / n, PgbenchServerCPU: s.pgbenchServerCPU / n, Background: s.background,
		}
		res.Steps = append(res.Steps, step)
		if step.Service > res.MaxRate {
			res.MaxRate, res.MaxRateClients = step.Service, clients
		}
	}
	if res.APIProfile, err = profileAPI(ctx, with, referenceClients, o, e.dir); err != nil {
		return nil, err
	}
	res.OrdersBinary = e.ordersBin
	fmt.Fprintf(log, "  API CPU profile at %d clients: go tool pprof -top %s %s\n", referenceClients, res.OrdersBinary, res.APIProfile)
	res.APIPeakRSS = with.process().peak()
	res.NoOutboxPeakRSS = without.process().peak()
	if err := with.stop(); err != nil {
		return nil, err
	}
	if err := without.stop(); err != nil {
		return nil, err
	}
	return res, nil
}

// serviceStep warms the API up with clients connections, then measures
// orders/s and the CPU spent per 1,000 orders.
func serviceStep(ctx context.Context, a *api, clients int, o options) (loadResult, cpuPer1000, error) {
	p := newPlacer(a.base, clients)
	defer p.close()
	if w := closedLoop(ctx, p, clients, o.Warmup); w.Orders == 0 {
		return loadResult{}, cpuPer1000{}, fmt.Errorf("warm-up placed no order on %s: %s", a.base, w.FirstErr)
	}
	proc := a.process()
	api0, pg0, self0, busy0 := proc.CPU(), postgresServer{}.CPU(), selfCPU(), machineBusy()
	r := closedLoop(ctx, p, clients, o.Step)
	api1, pg1, self1, busy1 := proc.CPU(), postgresServer{}.CPU(), selfCPU(), machineBusy()
	r.Background = backgroundShare(busy1-busy0, (api1-api0)+(pg1-pg0)+(self1-self0), r.Elapsed)
	if r.Orders == 0 {
		return r, cpuPer1000{}, fmt.Errorf("placed no order on %s: %s", a.base, r.FirstErr)
	}
	if r.Errors > 0 {
		fmt.Printf("  warning: %d failed placements at %d clients: %s\n", r.Errors, clients, r.FirstErr)
	}
	n := float64(r.Orders)
	return r, cpuPer1000{API: per1000(api1-api0, n), Postgres: per1000(pg1-pg0, n), LoadGenerator: per1000(self1-self0, n)}, nil
}
