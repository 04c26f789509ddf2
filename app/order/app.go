// Package order is the order service's application: every use case (the
// handlers of command/ and query/) wrapped in the decorators, and the
// adapters they need. Inventory and payment have the same shape.
package order

import (
	"errors"
	"log/slog"
	"time"

	"github.com/orderflow/orders/app/decorator"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/app/order/query"
)

// Application is every use case of the order service, each handler
// wrapped in the logging and metrics decorators.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands change orders.
type Commands struct {
	PlaceOrder             decorator.CommandHandlerWithResult[command.PlaceOrder, command.PlaceOrderResult]
	CancelOrder            decorator.CommandHandler[command.CancelOrder]
	ShipOrder              decorator.CommandHandler[command.ShipOrder]
	RecordStockReservation decorator.CommandHandler[command.RecordStockReservation]
	RecordPayment          decorator.CommandHandler[command.RecordPayment]
}

// Queries read orders.
type Queries struct {
	GetOrder       decorator.QueryHandler[query.GetOrder, query.Order]
	CustomerOrders decorator.QueryHandler[query.CustomerOrders, query.OrderPage]
	OrderEvents    decorator.QueryHandler[query.OrderEvents, []query.Event]
}

// Adapters are what the application needs from the outside: the order
// repository, the read models, and the clock.
type Adapters struct {
	Orders         command.OrderRepository
	OrderReadModel query.OrderReadModel
	CustomerOrders query.CustomerOrdersReadModel
	OrderEvents    query.OrderEventsReadModel
	Now            func() time.Time
	// StoreMetrics counts the repository's version conflicts and
	// idempotent replays; nil counts nothing.
	StoreMetrics command.StoreMetrics
	// Tracer opens the handlers' spans; nil traces nothing.
	Tracer decorator.Tracer
}

// NewApplication builds every handler on the adapters and wraps each in
// the decorators: the one place where that happens. A nil logger is
// slog.Default(); nil metrics record nothing.
func NewApplication(a Adapters, logger *slog.Logger, metrics decorator.MetricsClient) (Application, error) {
	a.Orders = command.ObservedRepository(a.Orders, a.StoreMetrics)
	placeOrder, err1 := command.NewPlaceOrderHandler(a.Orders, a.Now)
	cancelOrder, err2 := command.NewCancelOrderHandler(a.Orders, a.Now)
	shipOrder, err3 := command.NewShipOrderHandler(a.Orders, a.Now)
	recordStock, err4 := command.NewRecordStockReservationHandler(a.Orders, a.Now)
	recordPayment, err5 := command.NewRecordPaymentHandler(a.Orders, a.Now)
	getOrder, err6 := query.NewGetOrderHandler(a.OrderReadModel)
	customerOrders, err7 := query.NewCustomerOrdersHandler(a.CustomerOrders)
	orderEvents, err8 := query.NewOrderEventsHandler(a.OrderEvents)
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7, err8); err != nil {
		return Application{}, err
	}
	return Application{
		Commands: Commands{
			PlaceOrder:             decorator.ApplyCommandWithResultDecorators(placeOrder, logger, metrics, a.Tracer),
			CancelOrder:            decorator.ApplyCommandDecorators(cancelOrder, logger, metrics, a.Tracer),
			ShipOrder:              decorator.ApplyCommandDecorators(shipOrder, logger, metrics, a.Tracer),
			RecordStockReservation: decorator.ApplyCommandDecorators(recordStock, logger, metrics, a.Tracer),
			RecordPayment:          decorator.ApplyCommandDecorators(recordPayment, logger, metrics, a.Tracer),
		},
		Queries: Queries{
			GetOrder:       decorator.ApplyQueryDecorators(getOrder, logger, metrics, a.Tracer),
			CustomerOrders: decorator.ApplyQueryDecorators(customerOrders, logger, metrics, a.Tracer),
			OrderEvents:    decorator.ApplyQueryDecorators(orderEvents, logger, metrics, a.Tracer),
		},
	}, nil
}
