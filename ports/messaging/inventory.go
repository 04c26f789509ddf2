package messaging

import (
	"context"
	"errors"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"

	app "github.com/orderflow/orders/app/inventory"
	"github.com/orderflow/orders/app/inventory/command"
	domain "github.com/orderflow/orders/domain/inventory"
	"github.com/orderflow/orders/platform/contracts/orderevents"
)

// inventoryHandlers turn order events into the inventory's commands.
type inventoryHandlers struct {
	consumer string
	app      app.Application
	logger   *slog.Logger
}

var inventoryOutcome = outcome{
	ack:       []error{command.ErrReservationExists},
	permanent: []error{domain.ErrNotFound, domain.ErrIllegalTransition},
	permanentIf: func(err error) bool {
		var v *domain.ValidationError
		return errors.As(err, &v)
	},
}

// AddInventoryHandlers registers the inventory's handlers of the order
// events on ordersTopic: OrderPlaced reserves, OrderCancelled releases,
// OrderShipped commits; other order events are acknowledged untouched.
// consumer names the inventory in its inbox.
func AddInventoryHandlers(router *message.Router, subscriber message.Subscriber, consumer, ordersTopic string, application app.Application, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.Default()
	}
	h := inventoryHandlers{consumer: consumer, app: application, logger: logger}
	return addGroups(router, subscriber, logger, handlerGroup{"inventory.order-events", ordersTopic, h.all()})
}

// InventoryHandlers are the inventory's handlers, for Release.
func InventoryHandlers(consumer string, application app.Application, logger *slog.Logger) Handlers {
	if logger == nil {
		logger = slog.Default()
	}
	h := inventoryHandlers{consumer: consumer, app: application, logger: logger}
	return newHandlers(consumer, h.all())
}

func (h inventoryHandlers) all() []cqrs.GroupEventHandler {
	return []cqrs.GroupEventHandler{
		cqrs.NewGroupEventHandler(h.orderPlaced),
		cqrs.NewGroupEventHandler(h.orderCancelled),
		cqrs.NewGroupEventHandler(h.orderShipped),
	}
}

func (h inventoryHandlers) orderPlaced(ctx context.Context, e *Received[orderevents.OrderPlaced]) error {
	lines := make([]domain.Line, len(e.Event.Items))
	for i, it := range e.Event.Items {
		lines[i] = domain.Line{SKU: it.SKU, Quantity: it.Quantity}
	}
	status, err := h.app.Commands.ReserveStock.Handle(ctx, command.ReserveStock{Message: orderEventKey(ctx, h.consumer, e), OrderID: e.OrderID, Lines: lines})
	if err == nil {
		h.logger.DebugContext(ctx, "stock reservation decided", "order_id", e.OrderID, "status", status)
	}
	return inventoryOutcome.handlerResult(ctx, h.logger, "inventory.reserve", e.OrderID, err)
}

func (h inventoryHandlers) orderCancelled(ctx context.Context, e *Received[orderevents.OrderCancelled]) error {
	err := h.app.Commands.ReleaseStock.Handle(ctx, command.ReleaseStock{Message: orderEventKey(ctx, h.consumer, e), OrderID: e.OrderID})
	return inventoryOutcome.handlerResult(ctx, h.logger, "inventory.release", e.OrderID, err)
}

func (h inventoryHandlers) orderShipped(ctx context.Context, e *Received[orderevents.OrderShipped]) error {
	err := h.app.Commands.CommitStock.Handle(ctx, command.CommitStock{Message: orderEventKey(ctx, h.consumer, e), OrderID: e.OrderID})
	return inventoryOutcome.handlerResult(ctx, h.logger, "inventory.commit", e.OrderID, err)
}
