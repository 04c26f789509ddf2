package messaging

import (
	"context"
	"errors"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"

	orderapp "github.com/orderflow/orders/app/order"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/platform/contracts/inventoryevents"
	"github.com/orderflow/orders/platform/contracts/paymentevents"
)

// sagaHandlers are the order service's side of the saga: they turn the
// inventory's and the payment service's outcomes into commands on the
// order.
type sagaHandlers struct {
	consumer string
	orders   orderapp.Commands
	logger   *slog.Logger
}

// sagaOutcome: an outcome for an order that moved on (cancelled by its
// customer meanwhile, say) is an illegal transition; it is expected, so
// acknowledged and logged, never retried. An outcome for an unknown order
// or with a wrong amount cannot become right: dead-letter.
var sagaOutcome = outcome{
	ack:       []error{order.ErrIllegalTransition},
	permanent: []error{order.ErrNotFound, order.ErrPaymentMismatch},
	permanentIf: func(err error) bool {
		var v *order.ValidationError
		return errors.As(err, &v)
	},
}

// AddSagaHandlers registers the order saga's handlers: StockReserved and
// StockRejected from inventoryTopic, PaymentCaptured and PaymentDeclined
// from paymentsTopic. Other events of those topics (StockReleased,
// StockCommitted, PaymentRefunded) end nothing and are acknowledged.
// consumer names the saga in its inbox.
func AddSagaHandlers(router *message.Router, subscriber message.Subscriber, consumer, inventoryTopic, paymentsTopic string, orders orderapp.Commands, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.Default()
	}
	h := sagaHandlers{consumer: consumer, orders: orders, logger: logger}
	return addGroups(router, subscriber, logger,
		handlerGroup{"order-saga.inventory-events", inventoryTopic, h.inventoryOutcomes()},
		handlerGroup{"order-saga.payment-events", paymentsTopic, h.paymentOutcomes()},
	)
}

// SagaHandlers are the order saga's handlers, for Release.
func SagaHandlers(consumer string, orders orderapp.Commands, logger *slog.Logger) Handlers {
	if logger == nil {
		logger = slog.Default()
	}
	h := sagaHandlers{consumer: consumer, orders: orders, logger: logger}
	return newHandlers(consumer, append(h.inventoryOutcomes(), h.paymentOutcomes()...))
}

func (h sagaHandlers) inventoryOutcomes() []cqrs.GroupEventHandler {
	return []cqrs.GroupEventHandler{cqrs.NewGroupEventHandler(h.stockReserved), cqrs.NewGroupEventHandler(h.stockRejected)}
}

func (h sagaHandlers) paymentOutcomes() []cqrs.GroupEventHandler {
	return []cqrs.GroupEventHandler{cqrs.NewGroupEventHandler(h.paymentCaptured), cqrs.NewGroupEventHandler(h.paymentDeclined)}
}

func (h sagaHandlers) stockReserved(ctx context.Context, e *Received[inventoryevents.StockReserved]) error {
	err := h.orders.RecordStockReservation.Handle(ctx, command.RecordStockReservation{
		Message: inboxKey(ctx, h.consumer, e.EventID), OrderID: order.ID(e.OrderID), Reserved: true,
	})
	return sagaOutcome.handlerResult(ctx, h.logger, "order-saga.stock-reserved", e.OrderID, err)
}

func (h sagaHandlers) stockRejected(ctx context.Context, e *Received[inventoryevents.StockRejected]) error {
	err := h.orders.RecordStockReservation.Handle(ctx, command.RecordStockReservation{
		Message: inboxKey(ctx, h.consumer, e.EventID), OrderID: order.ID(e.OrderID), Reason: e.Event.Reason,
	})
	return sagaOutcome.handlerResult(ctx, h.logger, "order-saga.stock-rejected", e.OrderID, err)
}

func (h sagaHandlers) paymentCaptured(ctx context.Context, e *Received[paymentevents.PaymentCaptured]) error {
	currency, ok := order.ParseCurrency(e.Event.Currency)
	if !ok {
		return permanentf("payment of order %s is in currency %q, which orders do not use", e.OrderID, e.Event.Currency)
	}
	err := h.orders.RecordPayment.Handle(ctx, command.RecordPayment{
		Message: inboxKey(ctx, h.consumer, e.EventID), OrderID: order.ID(e.OrderID), Captured: true, PaymentID: e.Event.PaymentID,
		Amount: order.NewMoney(e.Event.Amount, currency),
	})
	return sagaOutcome.handlerResult(ctx, h.logger, "order-saga.payment-captured", e.OrderID, err)
}

func (h sagaHandlers) paymentDeclined(ctx context.Context, e *Received[paymentevents.PaymentDeclined]) error {
	err := h.orders.RecordPayment.Handle(ctx, command.RecordPayment{
		Message: inboxKey(ctx, h.consumer, e.EventID), OrderID: order.ID(e.OrderID), Reason: e.Event.Reason,
	})
	return sagaOutcome.handlerResult(ctx, h.logger, "order-saga.payment-declined", e.OrderID, err)
}
