package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"golang.org/x/sync/errgroup"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/adapters/outbox/relay"
	"github.com/orderflow/orders/adapters/paymentgateway"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/adapters/postgres/messagestore"
	"github.com/orderflow/orders/internal/service"
	"github.com/orderflow/orders/ports/inventoryhttp"
	"github.com/orderflow/orders/ports/messaging"
	"github.com/orderflow/orders/ports/paymenthttp"
)

// sagaSettings configure the inventory, the payment service and the order
// saga, from the environment (see docs/saga.md).
type sagaSettings struct {
	InventoryTopic     string        // INVENTORY_TOPIC, inventory.events
	PaymentsTopic      string        // PAYMENTS_TOPIC, payments.events
	InventoryDLQ       string        // INVENTORY_DLQ_TOPIC, inventory.dlq
	PaymentDLQ         string        // PAYMENT_DLQ_TOPIC, payment.dlq
	SagaDLQ            string        // SAGA_DLQ_TOPIC, order-saga.dlq
	InventoryGroup     string        // INVENTORY_CONSUMER_GROUP, inventory
	PaymentGroup       string        // PAYMENT_CONSUMER_GROUP, payment
	SagaGroup          string        // SAGA_CONSUMER_GROUP, order-saga
	InventoryHTTPAddr  string        // INVENTORY_HTTP_ADDR, :8081
	PaymentHTTPAddr    string        // PAYMENT_HTTP_ADDR, :8082
	DeclineAbove       int64         // PAYMENT_DECLINE_ABOVE, 100000 minor units
	MaxRetries         int           // CONSUMER_MAX_RETRIES, 5
	InboxRetention     time.Duration // INBOX_RETENTION, 168h
	InboxRetentionTick time.Duration // how often old inbox records are deleted: 10m
}

func loadSagaSettings() (sagaSettings, error) {
	s := sagaSettings{
		InventoryTopic:     env("INVENTORY_TOPIC", "inventory.events"),
		PaymentsTopic:      env("PAYMENTS_TOPIC", "payments.events"),
		InventoryDLQ:       env("INVENTORY_DLQ_TOPIC", "inventory.dlq"),
		PaymentDLQ:         env("PAYMENT_DLQ_TOPIC", "payment.dlq"),
		SagaDLQ:            env("SAGA_DLQ_TOPIC", "order-saga.dlq"),
		InventoryGroup:     env("INVENTORY_CONSUMER_GROUP", "inventory"),
		PaymentGroup:       env("PAYMENT_CONSUMER_GROUP", "payment"),
		SagaGroup:          env("SAGA_CONSUMER_GROUP", "order-saga"),
		InventoryHTTPAddr:  env("INVENTORY_HTTP_ADDR", ":8081"),
		PaymentHTTPAddr:    env("PAYMENT_HTTP_ADDR", ":8082"),
		InboxRetentionTick: 10 * time.Minute,
	}
	var err error
	if s.DeclineAbove, err = strconv.ParseInt(env("PAYMENT_DECLINE_ABOVE", strconv.Itoa(paymentgateway.DefaultDeclineAbove)), 10, 64); err != nil || s.DeclineAbove < 0 {
		return s, fmt.Errorf("PAYMENT_DECLINE_ABOVE: want minor units (a non-negative integer), got %q", os.Getenv("PAYMENT_DECLINE_ABOVE"))
	}
	if s.MaxRetries, err = strconv.Atoi(env("CONSUMER_MAX_RETRIES", "5")); err != nil || s.MaxRetries < 0 {
		return s, fmt.Errorf("CONSUMER_MAX_RETRIES: want a non-negative integer, got %q", os.Getenv("CONSUMER_MAX_RETRIES"))
	}
	if s.InboxRetention, err = time.ParseDuration(env("INBOX_RETENTION", "168h")); err != nil || s.InboxRetention <= 0 {
		return s, fmt.Errorf("INBOX_RETENTION: want a positive duration such as 168h, got %q", os.Getenv("INBOX_RETENTION"))
	}
	return s, nil
}

func (s sagaSettings) consumer(cfg config, group, dlq string) service.ConsumerConfig {
	return service.ConsumerConfig{
		Brokers: cfg.KafkaBrokers, ConsumerGroup: group, DeadLetterTopic: dlq,
		Retry:  messaging.RetryConfig{MaxRetries: s.MaxRetries},
		Logger: slog.Default(),
	}
}

// runInventory runs the inventory service: its consumer of the order
// events, the forwarder of its outbox and its operator API.
func runInventory(ctx context.Context, cfg config) error {
	s, err := loadSagaSettings()
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	if err := ensureTopics(ctx, cfg, cfg.OrdersTopic, s.InventoryTopic, s.InventoryDLQ); err != nil {
		return err
	}
	publisher, forward, err := serviceOutbox(ctx, db, cfg, outbox.Inventory)
	if err != nil {
		return err
	}
	application, err := service.NewInventoryApplication(db, publisher, s.InventoryTopic)
	if err != nil {
		return err
	}
	consumer, err := service.NewInventoryConsumer(db, application, cfg.OrdersTopic, s.consumer(cfg, s.InventoryGroup, s.InventoryDLQ)) //nolint:contextcheck // the router handles each message on the message's own context
	if err != nil {
		return err
	}
	slog.InfoContext(ctx, "inventory running", "consumes", cfg.OrdersTopic, "publishes", s.InventoryTopic, "group", s.InventoryGroup, "http", s.InventoryHTTPAddr)
	return runDownstream(ctx, db, s, downstream{
		consumer: consumer, forward: forward, inbox: messagestore.InventoryTables.Inbox,
		apiName: "inventory API", apiAddr: s.InventoryHTTPAddr, api: inventoryhttp.NewHandler(application),
	})
}

// runPayment runs the payment service: its consumer of the order events,
// the forwarder of its outbox and its operator API.
func runPayment(ctx context.Context, cfg config) error {
	s, err := loadSagaSettings()
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	if err := ensureTopics(ctx, cfg, cfg.OrdersTopic, s.PaymentsTopic, s.PaymentDLQ); err != nil {
		return err
	}
	publisher, forward, err := serviceOutbox(ctx, db, cfg, outbox.Payment)
	if err != nil {
		return err
	}
	gateway, err := paymentgateway.NewSimulated(db, s.DeclineAbove)
	if err != nil {
		return err
	}
	application, err := service.NewPaymentApplication(db, publisher, gateway, s.PaymentsTopic)
	if err != nil {
		return err
	}
	consumer, err := service.NewPaymentConsumer(db, application, cfg.OrdersTopic, s.consumer(cfg, s.PaymentGroup, s.PaymentDLQ)) //nolint:contextcheck // the router handles each message on the message's own context
	if err != nil {
		return err
	}
	slog.InfoContext(ctx, "payment service running", "consumes", cfg.OrdersTopic, "publishes", s.PaymentsTopic,
		"group", s.PaymentGroup, "http", s.PaymentHTTPAddr, "decline_above", s.DeclineAbove)
	return runDownstream(ctx, db, s, downstream{
		consumer: consumer, forward: forward, inbox: messagestore.PaymentTables.Inbox,
		apiName: "payment API", apiAddr: s.PaymentHTTPAddr, api: paymenthttp.NewHandler(application),
	})
}

// downstream is what a downstream service runs besides its setup.
type downstream struct {
	consumer *service.Consumer
	forward  func(context.Context) error // its outbox's forwarder
	inbox    string                      // its inbox table, kept for s.InboxRetention
	apiName  string
	apiAddr  string
	api      http.Handler
}

// runDownstream runs a downstream service's consumer, outbox forwarder,
// operator API and inbox retention until one fails or ctx ends.
func runDownstream(ctx context.Context, db *sql.DB, s sagaSettings, d downstream) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return d.consumer.Run(ctx) })
	g.Go(func() error { return d.forward(ctx) })
	g.Go(func() error { return serveHTTP(ctx, d.apiName, d.apiAddr, d.api) })
	g.Go(func() error {
		deleteOldInboxRecords(ctx, db, d.inbox, s.InboxRetention, s.InboxRetentionTick)
		return nil
	})
	return g.Wait()
}

// runSaga runs the order service's saga consumer: it moves orders on as
// the inventory's and the payment service's outcomes arrive. Its order
// events go through the order service's outbox (forwarded by `forward`).
func runSaga(ctx context.Context, cfg config) error {
	s, err := loadSagaSettings()
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	if err := ensureTopics(ctx, cfg, s.InventoryTopic, s.PaymentsTopic, s.SagaDLQ); err != nil {
		return err
	}
	publisher, err := newOutboxPublisher(db, watermill.NewSlogLogger(slog.Default())) //nolint:contextcheck // it checks the outbox layout under a timeout of its own
	if err != nil {
		return err
	}
	consumer, err := service.NewSagaConsumer(db, publisher, cfg.OrdersTopic, s.InventoryTopic, s.PaymentsTopic, s.consumer(cfg, s.SagaGroup, s.SagaDLQ)) //nolint:contextcheck // the router handles each message on the message's own context
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return consumer.Run(ctx) })
	g.Go(func() error {
		deleteOldInboxRecords(ctx, db, messagestore.SagaTables.Inbox, s.InboxRetention, s.InboxRetentionTick)
		return nil
	})
	slog.InfoContext(ctx, "order saga running", "consumes", []string{s.InventoryTopic, s.PaymentsTopic}, "group", s.SagaGroup)
	return g.Wait()
}

// ensureTopics creates the topics a service reads and writes, waiting for
// Kafka when it is not up yet.
func ensureTopics(ctx context.Context, cfg config, topics ...string) error {
	return untilDone(ctx, "Kafka", func() error {
		for _, topic := range topics {
			if err := kafka.EnsureTopic(cfg.KafkaBrokers, topic, cfg.TopicPartitions); err != nil {
				return err
			}
		}
		return nil
	})
}

// serviceOutbox checks a service's outbox and returns the publisher its
// repository writes with (it wakes the forwarders with a NOTIFY after each
// commit) and the function that runs its forwarder.
func serviceOutbox(ctx context.Context, db *sql.DB, cfg config, box outbox.Config) (*outbox.Publisher, func(context.Context) error, error) {
	logger := watermill.NewSlogLogger(slog.Default())
	settings, err := loadOutboxSettings()
	if err != nil {
		return nil, nil, err
	}
	if err := admin.CheckLayout(ctx, db, box, outbox.DefaultConsumerGroup); err != nil {
		return nil, nil, err
	}
	notifier, err := relay.NewNotifier(db, relay.NotifierConfig{Outbox: box, Interval: settings.NotifyInterval}, logger)
	if err != nil {
		return nil, nil, err
	}
	publisher, err := outbox.NewPublisher(outbox.PublisherConfig{Outbox: box, WakeUp: notifier.Wake}, logger)
	if err != nil {
		return nil, nil, err
	}
	forward := func(ctx context.Context) error {
		kafkaPublisher, err := kafka.NewPublisher(cfg.KafkaBrokers, logger)
		if err != nil {
			return err
		}
		defer func() { _ = kafkaPublisher.Close() }()
		fwd, err := relay.NewRelay(db, relay.Config{
			Outbox:           box,
			Publisher:        kafkaPublisher,
			BatchSize:        settings.BatchSize,
			IdlePollInterval: settings.IdlePollInterval,
			ListenURL:        cfg.DatabaseURL,
			Retention:        settings.Retention,
		}, logger)
		if err != nil {
			return err
		}
		return fwd.Run(ctx)
	}
	return publisher, forward, nil
}

// serveHTTP serves handler on addr until ctx ends.
func serveHTTP(ctx context.Context, name, addr string, handler http.Handler) error {
	srv := &http.Server{
		Addr: addr, Handler: handler,
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 15 * time.Second, IdleTimeout: 60 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("%s on %s: %w", name, addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s shutdown: %w", name, err)
	}
	return nil
}

// deleteOldInboxRecords deletes a consumer's inbox records older than
// retention every interval until ctx ends.
func deleteOldInboxRecords(ctx context.Context, db *sql.DB, table string, retention, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		n, err := messagestore.DeleteInboxBefore(ctx, db, table, retention)
		switch {
		case err != nil && ctx.Err() == nil:
			slog.WarnContext(ctx, "deleting old inbox records failed", "table", table, "err", err)
		case n > 0:
			slog.InfoContext(ctx, "old inbox records deleted", "table", table, "deleted", n, "retention", retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
