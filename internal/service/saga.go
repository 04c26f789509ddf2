package service

import (
	"database/sql"

	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/adapters/postgres/messagestore"
	"github.com/orderflow/orders/ports/messaging"
)

// SagaConsumerName names the order saga's consumer in its inbox.
const SagaConsumerName = "order-saga"

// NewSagaConsumer returns the order service's saga router on the outcomes
// of inventoryTopic and paymentsTopic. It drives orders through the order
// application with outbox wrapped so that each transaction also records
// the consumed message in the saga's inbox.
func NewSagaConsumer(db *sql.DB, outbox postgres.Outbox, ordersTopic, inventoryTopic, paymentsTopic string, cfg ConsumerConfig) (*Consumer, error) {
	inboxOutbox, err := messagestore.NewInboxOutbox(outbox, messagestore.SagaTables.Inbox)
	if err != nil {
		return nil, err
	}
	application, err := NewApplication(db, inboxOutbox, ordersTopic)
	if err != nil {
		return nil, err
	}
	lot, err := messagestore.NewParkingLot(db, messagestore.SagaTables)
	if err != nil {
		return nil, err
	}
	c, sub, err := newConsumer(SagaConsumerName, cfg, lot)
	if err != nil {
		return nil, err
	}
	if err := messaging.AddSagaHandlers(c.Router, sub, inventoryTopic, paymentsTopic, application.Commands, cfg.Logger); err != nil {
		c.abandon(sub)
		return nil, err
	}
	return c, nil
}
