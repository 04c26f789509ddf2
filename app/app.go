// Package app is the application layer: the use cases the ports drive.
package app

import (
	"github.com/orderflow/orders/app/command"
	"github.com/orderflow/orders/app/query"
)

// Application is every use case of the order service.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands change orders.
type Commands struct {
	PlaceOrder  command.PlaceOrderHandler
	CancelOrder command.CancelOrderHandler
	ShipOrder   command.ShipOrderHandler
	Fulfilment  command.FulfilmentHandler
}

// Queries read orders.
type Queries struct {
	GetOrder       query.GetOrderHandler
	CustomerOrders query.CustomerOrdersHandler
	OrderEvents    query.OrderEventsHandler
}
