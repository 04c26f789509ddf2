package main

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/orderflow/orders/adapters/metrics"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/cmd/orders/service"
	"github.com/orderflow/orders/platform/logging"
	"github.com/orderflow/orders/ports/httpauth"
)

// resources is what main builds once and hands to every runner: the
// configuration, the process's database pools and its one logger.
// Runners never close the pools; the command dispatch does.
type resources struct {
	cfg Config
	db  *sql.DB // the order service's database (DATABASE_URL); nil for `orders inventory` and `orders payment`
	// pools are the databases of the services the command works on, by
	// service (databases.go); services on one URL share a pool.
	pools  map[string]*sql.DB
	logger *slog.Logger
	auth   *httpauth.Authenticator // the APIs' token checker; nil for commands that serve none
	// registry holds the process's metrics; forwarderMetrics, in it, count the
	// work of every forwarder the process runs (labelled by outbox).
	registry         *prometheus.Registry
	forwarderMetrics *forwarder.Metrics
	appMetrics       *metrics.Prometheus
	httpMetrics      *metrics.HTTP // nil for commands that serve no API
	// components are what the process runs, named for a shutdown that
	// overruns its grace period (shutdown.go).
	components components

	publishersMu sync.Mutex
	publishers   map[string]*outbox.Publisher // by outbox name; see outboxPublisher
	// inProcessWakeUp: the writers wake the forwarders of this process by a
	// call (wakers, by outbox name), not by a NOTIFY (`orders all`).
	inProcessWakeUp bool
	wakers          sync.Map
}

// dbOf returns the pool of a service's database.
func (r *resources) dbOf(service string) *sql.DB { return r.pools[service] }

// telemetry is what the applications' decorators report to.
func (r *resources) telemetry() service.Telemetry {
	return service.Telemetry{Logger: r.logger, Metrics: r.appMetrics}
}

// resolveOutboxShards gives an unset OUTBOX_SHARDS the orders outbox's
// shard count recorded in the order service's database, the count every
// process that writes to, forwards or operates on that outbox must use,
// and the inventory and payment outboxes the counts recorded in their
// databases, where the command works on them. A set OUTBOX_SHARDS stays
// as it is: the start-up check (CheckLayout) refuses one that differs.
// `migrate` may find no outbox yet, and `inventory` and `payment` have no
// orders database.
func (r *resources) resolveOutboxShards(ctx context.Context, cmd string) error {
	if cmd == "migrate" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, c := range []struct {
		db     *sql.DB
		name   string
		shards *int
	}{
		{r.db, outbox.Orders.Name, &r.cfg.Outbox.Shards},
		{r.pools[inventoryService], outbox.Inventory.Name, &r.cfg.Outbox.InventoryShards},
		{r.pools[paymentService], outbox.Payment.Name, &r.cfg.Outbox.PaymentShards},
	} {
		if *c.shards != 0 || c.db == nil {
			continue
		}
		shards, err := admin.RecordedShards(ctx, c.db, c.name)
		if err != nil {
			return err
		}
		*c.shards = shards
	}
	return nil
}

// forwardedOutboxes are the outboxes a command runs the forwarder of.
func forwardedOutboxes(cmd string, c Config) []outbox.Config {
	switch cmd {
	case "all":
		return []outbox.Config{c.Outbox.ordersOutbox(), c.Outbox.inventoryOutbox(), c.Outbox.paymentOutbox()}
	case "forwarder":
		return []outbox.Config{c.Outbox.ordersOutbox()}
	case "inventory":
		return []outbox.Config{c.Outbox.inventoryOutbox()}
	case "payment":
		return []outbox.Config{c.Outbox.paymentOutbox()}
	default:
		return nil
	}
}

// newMetrics gives r its registry: the Go and process collectors, the
// forwarders' counters, and the backlog of every outbox the command forwards.
func (r *resources) newMetrics(cmd string) error {
	r.registry = prometheus.NewRegistry()
	r.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The pools' waits show a process short of connections; db_name is the
	// first service on each pool (`inventory` and `payment` have no orders pool).
	seen := map[*sql.DB]bool{}
	for _, service := range servicesOf(cmd) {
		if db := r.pools[service]; db != nil && !seen[db] {
			seen[db] = true
			r.registry.MustRegister(collectors.NewDBStatsCollector(db, service))
		}
	}
	var err error
	if r.forwarderMetrics, err = forwarder.NewMetrics(r.registry); err != nil {
		return err
	}
	if r.appMetrics, err = metrics.NewPrometheus(r.registry); err != nil {
		return err
	}
	if servesHTTP(cmd) {
		if r.httpMetrics, err = metrics.NewHTTP(r.registry); err != nil {
			return err
		}
	}
	if boxes := forwardedOutboxes(cmd, r.cfg); len(boxes) > 0 {
		dbOf := func(box outbox.Config) *sql.DB { return r.dbOf(box.Name) }
		return admin.RegisterBacklog(r.registry, dbOf, outbox.DefaultConsumerGroup, boxes...)
	}
	return nil
}

// wlogger is the process's logger for Watermill components.
func (r *resources) wlogger() watermill.LoggerAdapter { return logging.Watermill(r.logger) }

// newLogger returns the process's logger, writing to w; each line logged
// with a context carries its correlation, trace and span IDs.
func newLogger(c LogConfig, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.Level}
	if c.Format == "json" {
		return slog.New(logging.NewContextHandler(slog.NewJSONHandler(w, opts)))
	}
	return slog.New(logging.NewContextHandler(slog.NewTextHandler(w, opts)))
}

// openDB opens a pool on the database at dbURL, sized by c; c has its
// defaults (setDefaults). Its sessions wait for locks at most
// c.LockTimeout when boundLockWaits.
func openDB(ctx context.Context, c DatabaseConfig, dbURL string, boundLockWaits bool) (*sql.DB, error) {
	options := []postgres.Option{postgres.IdleInTransactionTimeout(*c.IdleInTransactionTimeout)}
	if boundLockWaits {
		options = append(options, postgres.LockTimeout(*c.LockTimeout))
	}
	db, err := postgres.Open(ctx, dbURL, options...)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(c.MaxConns)
	db.SetMaxIdleConns(c.MaxConns)
	db.SetConnMaxIdleTime(c.ConnMaxIdleTime)
	db.SetConnMaxLifetime(c.ConnMaxLifetime)
	return db, nil
}
