package service

import (
	"database/sql"
	"time"

	"github.com/orderflow/orders/adapters/postgres/inventorystore"
	"github.com/orderflow/orders/adapters/postgres/messagestore"
	app "github.com/orderflow/orders/app/inventory"
	"github.com/orderflow/orders/ports/messaging"
)

// InventoryConsumerName names the inventory's consumer in its inbox.
const InventoryConsumerName = "inventory"

// NewInventoryApplication returns the inventory's use cases, publishing
// its events to inventoryTopic through outbox; its handlers report to tel.
func NewInventoryApplication(db *sql.DB, outbox inventorystore.Outbox, inventoryTopic string, tel Telemetry) (app.Application, error) {
	tel = tel.withDefaults()
	repo, err := inventorystore.NewRepository(db, outbox, inventoryTopic)
	if err != nil {
		return app.Application{}, err
	}
	readModel, err := inventorystore.NewStockReadModel(db)
	if err != nil {
		return app.Application{}, err
	}
	return app.NewApplication(app.Adapters{Repository: repo, StockReadModel: readModel, Now: time.Now, Tracer: tel.Tracer}, tel.Logger, tel.Metrics)
}

// NewInventoryConsumer returns the inventory's router on the order events
// of ordersTopic.
func NewInventoryConsumer(db *sql.DB, application app.Application, ordersTopic string, cfg ConsumerConfig) (*Consumer, error) {
	lot, err := messagestore.NewParkingLot(db, messagestore.InventoryTables)
	if err != nil {
		return nil, err
	}
	c, sub, err := newConsumer(InventoryConsumerName, cfg, lot, db, nil, ordersTopic)
	if err != nil {
		return nil, err
	}
	if err := messaging.AddInventoryHandlers(c.Router, sub, InventoryConsumerName, ordersTopic, application, cfg.Logger); err != nil {
		c.abandon(sub)
		return nil, err
	}
	return c, nil
}
