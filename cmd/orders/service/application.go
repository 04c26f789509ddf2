// Package service is the composition root: it wires each service's
// application and consumers from their adapters. The programs under cmd/
// and the test harness (internal/testenv) build them the same way, so it
// sits beside cmd/orders rather than in an internal/ that would hide it
// from them. make lint keeps the layers below from importing it (their
// tests may, as they may import the harness).
package service

import (
	"database/sql"
	"time"

	"github.com/orderflow/orders/adapters/postgres"
	app "github.com/orderflow/orders/app/order"
)

// NewApplication returns the application on db, publishing order events
// to the Kafka topic eventsTopic through outbox; its handlers report to tel.
func NewApplication(db *sql.DB, outbox postgres.Outbox, eventsTopic string, tel Telemetry) (app.Application, error) {
	return newApplication(db, outbox, postgres.OrderRepositoryConfig{EventsTopic: eventsTopic}, tel)
}

// newApplication returns the application on a repository configured by
// cfg: the saga's records the messages it consumes in its inbox.
func newApplication(db *sql.DB, outbox postgres.Outbox, cfg postgres.OrderRepositoryConfig, tel Telemetry) (app.Application, error) {
	tel = tel.withDefaults()
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
		StoreMetrics:   tel.Store,
		Tracer:         tel.Tracer,
	}, tel.Logger, tel.Metrics)
}
