package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"golang.org/x/sync/errgroup"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/app"
	"github.com/orderflow/orders/internal/service"
	"github.com/orderflow/orders/ports/httpapi"
)

func newApplication(db *sql.DB, cfg config) (app.Application, error) {
	if cfg.OutboxDisabled {
		slog.Warn("OUTBOX_DISABLED=true: order events are stored but never published (for measurements only)")
		return service.NewApplication(db, discardOutbox{}, cfg.OrdersTopic)
	}
	logger := watermill.NewSlogLogger(slog.Default())
	publisher, err := newOutboxPublisher(db, logger)
	if err != nil {
		return app.Application{}, err
	}
	return service.NewApplication(db, publisher, cfg.OrdersTopic)
}

func runAll(ctx context.Context, cfg config) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return runAPI(ctx, cfg) })
	g.Go(func() error { return runForwarder(ctx, cfg) })
	g.Go(func() error { return runInventory(ctx, cfg) })
	g.Go(func() error { return runPayment(ctx, cfg) })
	g.Go(func() error { return runSaga(ctx, cfg) })
	return g.Wait()
}

func runAPI(ctx context.Context, cfg config) error {
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()

	application, err := newApplication(db, cfg) //nolint:contextcheck // it checks the outbox layout under a timeout of its own
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.HTTPAddr,
		Handler:           httpapi.NewHandler(application, nil),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	go expireIdempotencyKeys(ctx, db, cfg.IdempotencyKeyRetention, 10*time.Minute)
	slog.InfoContext(ctx, "HTTP API listening", "addr", cfg.HTTPAddr)

	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

func runForwarder(ctx context.Context, cfg config) error {
	return runOutboxForwarder(ctx, cfg)
}

func runMigrate(ctx context.Context, cfg config) error {
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	if err := postgres.Migrate(ctx, db); err != nil {
		return err
	}
	if err := kafka.EnsureTopic(cfg.KafkaBrokers, cfg.OrdersTopic, cfg.TopicPartitions); err != nil {
		return err
	}
	slog.InfoContext(ctx, "schema up to date", "kafka_topic", cfg.OrdersTopic)
	return nil
}
