package messaging

import (
	"context"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"

	app "github.com/orderflow/orders/app/payment"
	"github.com/orderflow/orders/app/payment/command"
	domain "github.com/orderflow/orders/domain/payment"
	"github.com/orderflow/orders/platform/contracts/orderevents"
)

// paymentHandlers turn order events into the payment service's commands.
type paymentHandlers struct {
	consumer string
	app      app.Application
	logger   *slog.Logger
}

// No error is acknowledged as done: ChargePayment charges a payment that
// exists rather than answer command.ErrPaymentExists.
var paymentOutcome = outcome{
	permanent: []error{domain.ErrNotFound, domain.ErrIllegalTransition, domain.ErrInvalid},
}

// AddPaymentHandlers registers the payment service's handlers of the order
// events on ordersTopic: OrderStockReserved opens the payment with the
// order's total it carries and charges it, OrderCancelled refunds or voids
// it; other order events (OrderPlaced among them) are acknowledged
// untouched. Charging only once the stock is held means no customer is
// charged for an order that cannot ship.
//
// consumer names the payment service in its inbox.
func AddPaymentHandlers(router *message.Router, subscriber message.Subscriber, consumer, ordersTopic string, application app.Application, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.Default()
	}
	h := paymentHandlers{consumer: consumer, app: application, logger: logger}
	return addGroups(router, subscriber, logger, handlerGroup{"payment.order-events", ordersTopic, h.all()})
}

// PaymentHandlers are the payment service's handlers, for Release.
func PaymentHandlers(consumer string, application app.Application, logger *slog.Logger) Handlers {
	if logger == nil {
		logger = slog.Default()
	}
	h := paymentHandlers{consumer: consumer, app: application, logger: logger}
	return newHandlers(consumer, h.all())
}

func (h paymentHandlers) all() []cqrs.GroupEventHandler {
	return []cqrs.GroupEventHandler{
		cqrs.NewGroupEventHandler(h.orderStockReserved),
		cqrs.NewGroupEventHandler(h.orderCancelled),
	}
}

func (h paymentHandlers) orderStockReserved(ctx context.Context, e *Received[orderevents.OrderStockReserved]) error {
	status, err := h.app.Commands.ChargePayment.Handle(ctx, command.ChargePayment{
		Message: orderEventKey(ctx, h.consumer, e), OrderID: e.OrderID, Amount: e.Event.Total, Currency: e.Event.Currency,
	})
	if err == nil {
		h.logger.DebugContext(ctx, "payment charged", "order_id", e.OrderID, "status", status)
	}
	return paymentOutcome.handlerResult(ctx, h.logger, "payment.charge", e.OrderID, err)
}

func (h paymentHandlers) orderCancelled(ctx context.Context, e *Received[orderevents.OrderCancelled]) error {
	status, err := h.app.Commands.CancelPayment.Handle(ctx, command.CancelPayment{Message: orderEventKey(ctx, h.consumer, e), OrderID: e.OrderID})
	if err == nil {
		h.logger.DebugContext(ctx, "payment compensated", "order_id", e.OrderID, "status", status)
	}
	return paymentOutcome.handlerResult(ctx, h.logger, "payment.cancel", e.OrderID, err)
}
