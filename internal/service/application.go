// Package service wires the order service's application from its adapters.
// The binaries and the component tests build it the same way.
package service

import (
	"database/sql"
	"time"

	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/app"
	"github.com/orderflow/orders/app/command"
	"github.com/orderflow/orders/app/query"
)

// NewApplication returns the application on db, publishing order events
// to the Kafka topic eventsTopic through outbox.
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

	var a app.Application
	if a.Commands.PlaceOrder, err = command.NewPlaceOrderHandler(repo, time.Now); err != nil {
		return app.Application{}, err
	}
	if a.Commands.CancelOrder, err = command.NewCancelOrderHandler(repo, time.Now); err != nil {
		return app.Application{}, err
	}
	if a.Commands.ShipOrder, err = command.NewShipOrderHandler(repo, time.Now); err != nil {
		return app.Application{}, err
	}
	if a.Commands.Fulfilment, err = command.NewFulfilmentHandler(repo, time.Now); err != nil {
		return app.Application{}, err
	}
	if a.Queries.GetOrder, err = query.NewGetOrderHandler(orders); err != nil {
		return app.Application{}, err
	}
	if a.Queries.CustomerOrders, err = query.NewCustomerOrdersHandler(orders); err != nil {
		return app.Application{}, err
	}
	if a.Queries.OrderEvents, err = query.NewOrderEventsHandler(events); err != nil {
		return app.Application{}, err
	}
	return a, nil
}
