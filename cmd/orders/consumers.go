package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/paymentgateway"
	"github.com/orderflow/orders/adapters/postgres/messagestore"
	"github.com/orderflow/orders/cmd/orders/service"
	"github.com/orderflow/orders/ports/inventoryhttp"
	"github.com/orderflow/orders/ports/messaging"
	"github.com/orderflow/orders/ports/paymenthttp"
)

// consumer is the configuration of one downstream consumer.
func (r *resources) consumer(group, dlq string) service.ConsumerConfig {
	return service.ConsumerConfig{
		Brokers: r.cfg.Kafka.Brokers, ConsumerGroup: group, DeadLetterTopic: dlq,
		Retry:     messaging.RetryConfig{MaxRetries: r.cfg.Consumers.MaxRetries},
		BatchSize: r.cfg.Consumers.BatchSize, BatchLinger: r.cfg.Consumers.BatchLinger,
		Logger:  r.logger,
		Metrics: r.appMetrics, Registerer: r.registry,
		CloseTimeout: r.cfg.Shutdown.GracePeriod,
	}
}

// runInventory runs the inventory service: its consumer of the order
// events, the forwarder of its outbox and its operator API.
func runInventory(ctx context.Context, r *resources) error {
	t, c := r.cfg.Topics, r.cfg.Consumers
	if err := ensureTopics(ctx, r, t.Orders, t.Inventory, t.InventoryDeadLetter); err != nil {
		return err
	}
	warnIfNoPartitionLeft(ctx, r, c.InventoryGroup, t.Orders)
	db := r.dbOf(inventoryService)
	publisher, err := outboxPublisher(ctx, r, r.cfg.Outbox.inventoryOutbox())
	if err != nil {
		return err
	}
	application, err := service.NewInventoryApplication(db, publisher, t.Inventory, r.telemetry())
	if err != nil {
		return err
	}
	cfg := r.consumer(c.InventoryGroup, t.InventoryDeadLetter)
	cfg.Outbox = publisher
	consumer, err := service.NewInventoryConsumer(db, application, t.Orders, cfg) //nolint:contextcheck // the router handles each message on the message's own context
	if err != nil {
		return err
	}
	r.logger.InfoContext(ctx, "inventory running", "consumes", t.Orders, "publishes", t.Inventory, "group", c.InventoryGroup, "http", r.cfg.HTTP.Inventory)
	return runDownstream(ctx, r, downstream{
		name: "inventory", consumer: consumer, outbox: r.cfg.Outbox.inventoryOutbox(), db: db, inbox: messagestore.InventoryTables.Inbox,
		apiName: "inventory API", apiAddr: r.cfg.HTTP.Inventory, api: inventoryhttp.NewHandler(application, r.auth, inventoryhttp.WithMetrics(r.httpMetrics)),
	})
}

// runPayment runs the payment service: its consumer of the order events,
// the forwarder of its outbox and its operator API.
func runPayment(ctx context.Context, r *resources) error {
	t, c := r.cfg.Topics, r.cfg.Consumers
	if err := ensureTopics(ctx, r, t.Orders, t.Payments, t.PaymentDeadLetter); err != nil {
		return err
	}
	warnIfNoPartitionLeft(ctx, r, c.PaymentGroup, t.Orders)
	db := r.dbOf(paymentService)
	publisher, err := outboxPublisher(ctx, r, r.cfg.Outbox.paymentOutbox())
	if err != nil {
		return err
	}
	gateway, err := paymentgateway.NewSimulated(db, *c.PaymentDeclineAbove)
	if err != nil {
		return err
	}
	application, err := service.NewPaymentApplication(db, publisher, gateway, t.Payments, r.telemetry())
	if err != nil {
		return err
	}
	consumer, err := service.NewPaymentConsumer(db, application, t.Orders, r.consumer(c.PaymentGroup, t.PaymentDeadLetter)) //nolint:contextcheck // the router handles each message on the message's own context
	if err != nil {
		return err
	}
	r.logger.InfoContext(ctx, "payment service running", "consumes", t.Orders, "publishes", t.Payments,
		"group", c.PaymentGroup, "http", r.cfg.HTTP.Payment, "decline_above", *c.PaymentDeclineAbove)
	return runDownstream(ctx, r, downstream{
		name: "payment", consumer: consumer, outbox: r.cfg.Outbox.paymentOutbox(), db: db, inbox: messagestore.PaymentTables.Inbox,
		apiName: "payment API", apiAddr: r.cfg.HTTP.Payment, api: paymenthttp.NewHandler(application, r.auth, paymenthttp.WithMetrics(r.httpMetrics)),
	})
}

// downstream is what a downstream service runs besides its setup.
type downstream struct {
	consumer *service.Consumer
	outbox   outbox.Config // its outbox, forwarded to Kafka
	db       *sql.DB       // its database
	inbox    string        // its inbox table, kept for INBOX_RETENTION
	apiName  string
	apiAddr  string
	api      http.Handler
	name     string // the service's, for its components' names
}

// runDownstream runs a downstream service's consumer, outbox forwarder,
// operator API and inbox retention until one fails or ctx ends.
func runDownstream(ctx context.Context, r *resources, d downstream) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(r.components.track(d.name+" consumer", func() error { return d.consumer.Run(ctx) }))
	g.Go(func() error { return forwardOutbox(ctx, r, d.outbox) })
	g.Go(r.components.track(d.apiName, func() error {
		return serveHTTP(ctx, d.apiName, newHTTPServer(d.apiAddr, d.api, r.cfg.HTTP.Limits), r.cfg.Shutdown.GracePeriod)
	}))
	g.Go(func() error {
		deleteOldInboxRecords(ctx, r, d.db, d.inbox)
		return nil
	})
	return g.Wait()
}

// runSaga runs the order service's saga consumer: it moves orders on as
// the inventory's and the payment service's outcomes arrive. Its order
// events go through the order service's outbox (forwarded by `forward`).
func runSaga(ctx context.Context, r *resources) error {
	t, c := r.cfg.Topics, r.cfg.Consumers
	if err := ensureTopics(ctx, r, t.Inventory, t.Payments, t.SagaDeadLetter); err != nil {
		return err
	}
	warnIfNoPartitionLeft(ctx, r, c.SagaGroup, t.Inventory)
	warnIfNoPartitionLeft(ctx, r, c.SagaGroup, t.Payments)
	publisher, err := outboxPublisher(ctx, r, r.cfg.Outbox.ordersOutbox())
	if err != nil {
		return err
	}
	cfg := r.consumer(c.SagaGroup, t.SagaDeadLetter)
	cfg.Outbox = publisher
	consumer, err := service.NewSagaConsumer(r.db, publisher, t.Orders, t.Inventory, t.Payments, cfg) //nolint:contextcheck // the router handles each message on the message's own context
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(r.components.track("saga consumer", func() error { return consumer.Run(ctx) }))
	g.Go(func() error {
		deleteOldInboxRecords(ctx, r, r.db, messagestore.SagaTables.Inbox)
		return nil
	})
	r.logger.InfoContext(ctx, "order saga running", "consumes", []string{t.Inventory, t.Payments}, "group", c.SagaGroup)
	return g.Wait()
}

// serveHTTP runs srv until ctx ends, then stops accepting and gives the
// requests in flight up to grace to finish.
func serveHTTP(ctx context.Context, name string, srv *http.Server, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("%s on %s: %w", name, srv.Addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s shutdown: %w", name, err)
	}
	return nil
}

// deleteOldInboxRecords deletes a consumer's inbox records older than
// INBOX_RETENTION now and then until ctx ends.
func deleteOldInboxRecords(ctx context.Context, r *resources, db *sql.DB, table string) {
	retention := r.cfg.Consumers.InboxRetention
	ticker := time.NewTicker(r.cfg.Consumers.InboxRetentionTick)
	defer ticker.Stop()
	for {
		n, err := messagestore.DeleteInboxBefore(ctx, db, table, retention)
		switch {
		case err != nil && ctx.Err() == nil:
			r.logger.WarnContext(ctx, "deleting old inbox records failed", "table", table, "err", err)
		case n > 0:
			r.logger.InfoContext(ctx, "old inbox records deleted", "table", table, "deleted", n, "retention", retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
