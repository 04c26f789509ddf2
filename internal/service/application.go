// Package service wires the order service's application from its adapters.
// The binaries and the component tests build it the same way.
package service

import (
	"database/sql"
	"log/slog"
	"time"

	"github.com/orderflow/orders/adapters/metrics"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/app"
)

// NewApplication returns the application on db, publishing order events
// to the Kafka topic eventsTopic through outbox. Its handlers log to
// slog.Default() and record no metrics.
func NewApplication(db *sql.DB, outbox postgres.Outbox, eventsTopic string) (app.Application, error) {
	return newApplication(db, outbox, postgres.OrderRepositoryConfig{EventsTopic: eventsTopic})
}

// newApplication returns the application on a repository configured by
// cfg: the saga's records the messages it consumes in its inbox.
func newApplication(db *sql.DB, outbox postgres.Outbox, cfg postgres.OrderRepositoryConfig) (app.Application, error) {
	repo, err := postgres.NewOrderRepository(db, outbox, cfg)
	if err != nil {
		return app.Application{}, err
	}
	orders, err := postgres.NewOrderReadModel(db)
	if err != nil {
		return app.Application{}, err
	}
	events, err := postgres.NewOrderEventsReadModel(db)
	if err != nil {
		return app.Application{}, err
	}
	return app.NewApplication(app.Adapters{
		Orders:         repo,
		OrderReadModel: orders,
		CustomerOrders: orders,
		OrderEvents:    events,
		Now:            time.Now,
	}, slog.Default(), metrics.NoOp{})
}
