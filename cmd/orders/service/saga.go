package service

import (
	"database/sql"

	"github.com/orderflow/orders/adapters/metrics"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/adapters/postgres/messagestore"
	"github.com/orderflow/orders/ports/messaging"
)

// SagaConsumerName names the order saga's consumer in its inbox.
const SagaConsumerName = "order-saga"

// NewSagaConsumer returns the order service's saga router on the outcomes
// of inventoryTopic and paymentsTopic. It drives orders through the order
// application on a repository that records each consumed message in the
// saga's inbox, in the transaction of its effect.
func NewSagaConsumer(db *sql.DB, outbox postgres.Outbox, ordersTopic, inventoryTopic, paymentsTopic string, cfg ConsumerConfig) (*Consumer, error) {
	tel := Telemetry{Logger: cfg.Logger, Metrics: cfg.Metrics}
	if cfg.Registerer != nil {
		store, err := metrics.NewStore(cfg.Registerer)
		if err != nil {
			return nil, err
		}
		tel.Store = store
	}
	application, err := newApplication(db, outbox, postgres.OrderRepositoryConfig{
		EventsTopic: ordersTopic, InboxTable: messagestore.SagaTables.Inbox,
	}, tel)
	if err != nil {
		return nil, err
	}
	lot, err := messagestore.NewParkingLot(db, messagestore.SagaTables)
	if err != nil {
		return nil, err
	}
	c, sub, err := newConsumer(SagaConsumerName, cfg, lot, db, nil, inventoryTopic, paymentsTopic)
	if err != nil {
		return nil, err
	}
	if err := messaging.AddSagaHandlers(c.Router, sub, SagaConsumerName, inventoryTopic, paymentsTopic, application.Commands, cfg.Logger); err != nil {
		c.abandon(sub)
		return nil, err
	}
	return c, nil
}
