package service

import (
	"context"
	"database/sql"
	"log/slog"

	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/adapters/postgres/messagestore"
	inventoryapp "github.com/orderflow/orders/app/inventory"
	paymentapp "github.com/orderflow/orders/app/payment"
	"github.com/orderflow/orders/ports/messaging"
)

// Releaser hands one consumer's parked messages of an order to its
// handlers again (messaging.Release; docs/saga.md, "Parking").
type Releaser struct {
	lot      *messagestore.ParkingLot
	handlers messaging.Handlers
}

// Consumer names the consumer whose parked messages r releases.
func (r Releaser) Consumer() string { return r.handlers.Consumer() }

// Release releases the order's parked messages, in order, and returns how
// many went through; messaging.ErrNotParked when the consumer parked none.
func (r Releaser) Release(ctx context.Context, orderID string) (int, error) {
	return messaging.Release(ctx, r.lot, r.handlers, orderID)
}

// ParkingLot returns a consumer's parking lot: the consumer is one of
// InventoryConsumerName, PaymentConsumerName, SagaConsumerName.
func ParkingLot(db *sql.DB, consumer string) (*messagestore.ParkingLot, error) {
	tables := map[string]messagestore.Tables{
		InventoryConsumerName: messagestore.InventoryTables,
		PaymentConsumerName:   messagestore.PaymentTables,
		SagaConsumerName:      messagestore.SagaTables,
	}[consumer]
	return messagestore.NewParkingLot(db, tables)
}

func newReleaser(db *sql.DB, handlers messaging.Handlers) (Releaser, error) {
	lot, err := ParkingLot(db, handlers.Consumer())
	return Releaser{lot: lot, handlers: handlers}, err
}

// NewInventoryReleaser releases the inventory's parked orders through
// application's commands.
func NewInventoryReleaser(db *sql.DB, application inventoryapp.Application, logger *slog.Logger) (Releaser, error) {
	return newReleaser(db, messaging.InventoryHandlers(InventoryConsumerName, application, logger))
}

// NewPaymentReleaser releases the payment service's parked orders through
// application's commands.
func NewPaymentReleaser(db *sql.DB, application paymentapp.Application, logger *slog.Logger) (Releaser, error) {
	return newReleaser(db, messaging.PaymentHandlers(PaymentConsumerName, application, logger))
}

// NewSagaReleaser releases the order saga's parked orders through the
// order application, recording each message in the saga's inbox as the
// saga's consumer does (NewSagaConsumer).
func NewSagaReleaser(db *sql.DB, outbox postgres.Outbox, ordersTopic string, tel Telemetry) (Releaser, error) {
	application, err := newApplication(db, outbox, postgres.OrderRepositoryConfig{
		EventsTopic: ordersTopic, InboxTable: messagestore.SagaTables.Inbox,
	}, tel)
	if err != nil {
		return Releaser{}, err
	}
	return newReleaser(db, messaging.SagaHandlers(SagaConsumerName, application.Commands, tel.withDefaults().Logger))
}
