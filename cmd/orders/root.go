package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/orderflow/orders/adapters/metrics"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/adapters/outbox/relay"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/internal/service"
)

// root is what main builds once and hands to every runner: the
// configuration, the process's one database pool and its one logger.
// Runners never close the pool; the command dispatch does.
type root struct {
	cfg    Config
	db     *sql.DB
	logger *slog.Logger
	// registry holds the process's metrics; relayMetrics, in it, count the
	// work of every relay the process runs (labelled by outbox).
	registry     *prometheus.Registry
	relayMetrics *relay.Metrics
	appMetrics   *metrics.Prometheus

	publishersMu sync.Mutex
	publishers   map[string]*outbox.Publisher // by outbox name; see outboxPublisher
}

// telemetry is what the applications' decorators report to.
func (r *root) telemetry() service.Telemetry {
	return service.Telemetry{Logger: r.logger, Metrics: r.appMetrics}
}

// relayedOutboxes are the outboxes a command runs the relay of.
func relayedOutboxes(cmd string, c Config) []outbox.Config {
	switch cmd {
	case "all":
		return []outbox.Config{c.Outbox.ordersOutbox(), outbox.Inventory, outbox.Payment}
	case "forward":
		return []outbox.Config{c.Outbox.ordersOutbox()}
	case "inventory":
		return []outbox.Config{outbox.Inventory}
	case "payment":
		return []outbox.Config{outbox.Payment}
	default:
		return nil
	}
}

// newMetrics gives r its registry: the Go and process collectors, the
// relays' counters, and the backlog of every outbox the command relays.
func (r *root) newMetrics(cmd string) error {
	r.registry = prometheus.NewRegistry()
	r.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var err error
	if r.relayMetrics, err = relay.NewMetrics(r.registry); err != nil {
		return err
	}
	if r.appMetrics, err = metrics.NewPrometheus(r.registry); err != nil {
		return err
	}
	if boxes := relayedOutboxes(cmd, r.cfg); len(boxes) > 0 {
		return admin.RegisterBacklog(r.registry, r.db, outbox.DefaultConsumerGroup, boxes...)
	}
	return nil
}

// serveConsumerMetrics serves /metrics (METRICS_ADDR) for the commands
// that run consumers alone; `forward` and `all` serve it with their relay
// (runOutboxForwarder). stop is never nil.
func serveConsumerMetrics(ctx context.Context, r *root, cmd string) (stop func(), err error) {
	switch cmd {
	case "inventory", "payment", "saga":
		if r.cfg.HTTP.Metrics != "off" {
			return serveMetrics(ctx, r.cfg.HTTP.Metrics, r.registry)
		}
	}
	return func() {}, nil
}

// wlogger is the process's logger for Watermill components.
func (r *root) wlogger() watermill.LoggerAdapter { return watermill.NewSlogLogger(r.logger) }

// newLogger returns the process's logger, writing to w.
func newLogger(c LogConfig, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.Level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openDB opens the process's one pool, sized by c; c has its defaults (setDefaults).
func openDB(ctx context.Context, c DatabaseConfig) (*sql.DB, error) {
	db, err := postgres.Open(ctx, c.URL, postgres.IdleInTransactionTimeout(*c.IdleInTransactionTimeout))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(c.MaxConns)
	db.SetMaxIdleConns(c.MaxConns)
	db.SetConnMaxIdleTime(c.ConnMaxIdleTime)
	db.SetConnMaxLifetime(c.ConnMaxLifetime)
	return db, nil
}

// minConns is the smallest pool a command works with. A relay holds one
// connection per outbox shard for as long as it forwards a batch (and, while
// Kafka is down, while it retries), so those are taken first; on top, the
// relay's retention takes one, each consumer needs one for the message it
// handles (the payment's gateway a second one, its ledger's), and the API
// one per request in flight. Below this, the API or a consumer could wait
// on the relays for as long as Kafka is down. The relays' LISTEN
// connections are their own, outside the pool (count them in PostgreSQL's
// max_connections: one per relay).
func minConns(cmd string, c Config) int {
	orders := c.Outbox.Shards + 1
	inventory := outbox.Inventory.Shards + 1 + 1
	payment := outbox.Payment.Shards + 1 + 2
	switch cmd {
	case "all":
		return orders + inventory + payment + 1 + 1 // + the saga's message, + an API request
	case "forward":
		return orders
	case "inventory":
		return inventory
	case "payment":
		return payment
	default:
		return 1
	}
}

// checkPool refuses to run cmd on a pool that is too small for it.
func checkPool(cmd string, c Config) error {
	if need := minConns(cmd, c); c.Database.MaxConns < need {
		return fmt.Errorf("DATABASE_MAX_CONNS: `orders %s` needs at least %d connections "+
			"(one per outbox shard it forwards, and some for its consumers and API), got %d", cmd, need, c.Database.MaxConns)
	}
	return nil
}
