package service

import (
	"database/sql"
	"time"

	"github.com/orderflow/orders/adapters/postgres/messagestore"
	"github.com/orderflow/orders/adapters/postgres/paymentstore"
	app "github.com/orderflow/orders/app/payment"
	"github.com/orderflow/orders/app/payment/command"
	"github.com/orderflow/orders/platform/contracts/orderevents"
	"github.com/orderflow/orders/ports/messaging"
)

// PaymentConsumerName names the payment service's consumer in its inbox.
const PaymentConsumerName = "payment"

// NewPaymentApplication returns the payment service's use cases, charging
// through gateway and publishing its events to paymentsTopic through
// outbox; its handlers report to tel.
func NewPaymentApplication(db *sql.DB, outbox paymentstore.Outbox, gateway command.Gateway, paymentsTopic string, tel Telemetry) (app.Application, error) {
	tel = tel.withDefaults()
	repo, err := paymentstore.NewRepository(db, outbox, paymentsTopic)
	if err != nil {
		return app.Application{}, err
	}
	readModel, err := paymentstore.NewReadModel(db)
	if err != nil {
		return app.Application{}, err
	}
	return app.NewApplication(app.Adapters{Repository: repo, Gateway: gateway, ReadModel: readModel, Now: time.Now, Tracer: tel.Tracer}, tel.Logger, tel.Metrics)
}

// NewPaymentConsumer returns the payment service's router on the order
// events of ordersTopic.
func NewPaymentConsumer(db *sql.DB, application app.Application, ordersTopic string, cfg ConsumerConfig) (*Consumer, error) {
	lot, err := messagestore.NewParkingLot(db, messagestore.PaymentTables)
	if err != nil {
		return nil, err
	}
	// The charges' intents (each payment opened charging) run in batches;
	// a charge's gateway call and its answer follow the batch's commit
	// (pgtx.AwaitCommit). A cancellation runs alone: it may have to finish
	// a charge before it knows what to give back (app/payment, CancelPayment).
	batched := []string{orderevents.OrderStockReservedType}
	c, sub, err := newConsumer(PaymentConsumerName, cfg, lot, db, batched, ordersTopic)
	if err != nil {
		return nil, err
	}
	if err := messaging.AddPaymentHandlers(c.Router, sub, PaymentConsumerName, ordersTopic, application, cfg.Logger); err != nil {
		c.abandon(sub)
		return nil, err
	}
	return c, nil
}
