package main

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/orderflow/orders/adapters/metrics"
	"github.com/orderflow/orders/adapters/postgres"
	app "github.com/orderflow/orders/app/order"
	"github.com/orderflow/orders/cmd/orders/service"
	"github.com/orderflow/orders/ports/httpapi"
)

func newApplication(ctx context.Context, r *resources) (app.Application, error) {
	tel := r.telemetry()
	store, err := metrics.NewStore(r.registry)
	if err != nil {
		return app.Application{}, err
	}
	tel.Store = store
	if ob := r.cfg.bench.apiOutbox(r.logger); ob != nil {
		return service.NewApplication(r.db, ob, r.cfg.Topics.Orders, tel)
	}
	publisher, err := outboxPublisher(ctx, r, r.cfg.Outbox.ordersOutbox())
	if err != nil {
		return app.Application{}, err
	}
	return service.NewApplication(r.db, publisher, r.cfg.Topics.Orders, tel)
}

// runAll runs every role in one process, on one pool.
func runAll(ctx context.Context, r *resources) error {
	r.inProcessWakeUp = true // every outbox's writers and forwarder are here (wakeup.go)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return runAPI(ctx, r) })
	g.Go(func() error { return runForwarder(ctx, r) })
	g.Go(func() error { return runInventory(ctx, r) })
	g.Go(func() error { return runPayment(ctx, r) })
	g.Go(func() error { return runSaga(ctx, r) })
	return g.Wait()
}

func runAPI(ctx context.Context, r *resources) error {
	application, err := newApplication(ctx, r)
	if err != nil {
		return err
	}
	limits := r.cfg.HTTP.Limits
	srv := newHTTPServer(r.cfg.HTTP.API, httpapi.NewHandler(application, r.auth, nil,
		httpapi.WithCreateRateLimit(limits.OrderCreateRate, limits.OrderCreateBurst), httpapi.WithMetrics(r.httpMetrics)), limits)
	go expireIdempotencyKeys(ctx, r, 10*time.Minute)
	r.logger.InfoContext(ctx, "HTTP API listening", "addr", r.cfg.HTTP.API)
	return r.components.track("HTTP API", func() error { return serveHTTP(ctx, "HTTP API", srv, r.cfg.Shutdown.GracePeriod) })()
}

func runForwarder(ctx context.Context, r *resources) error {
	return forwardOrdersOutbox(ctx, r)
}

func runMigrate(ctx context.Context, r *resources) error {
	// Every distinct database gets the whole migration set: one set is
	// simpler than one per service, and a service's tables stay empty in
	// the other services' databases.
	for _, db := range distinctPools("migrate", r.pools) {
		if err := postgres.Migrate(ctx, db); err != nil {
			return err
		}
	}
	if err := ensureTopics(ctx, r, r.cfg.Topics.Orders); err != nil {
		return err
	}
	r.logger.InfoContext(ctx, "schema up to date", "databases", len(distinctPools("migrate", r.pools)), "kafka_topic", r.cfg.Topics.Orders)
	return nil
}
