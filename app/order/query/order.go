// Package query holds the order service's read side: one handler per query,
// reading read models that the write side keeps in the same transaction.
package query

import (
	"context"
	"errors"
	"time"

	"github.com/orderflow/orders/domain/order"
)

// Order is the order as the read model shows it.
type Order struct {
	ID           string
	CustomerID   string
	Status       string
	Currency     string
	Items        []OrderItem
	Total        int64
	Version      int
	CancelReason string
	CancelDetail string
	PaymentID    string
	PlacedAt     time.Time
	UpdatedAt    time.Time
}

// OrderItem is one line of an Order.
type OrderItem struct {
	SKU       string
	Quantity  int64
	UnitPrice int64
	Subtotal  int64
}

// OrderReadModel reads the order detail read model.
type OrderReadModel interface {
	// OrderByID returns order.ErrNotFound when there is no such order.
	OrderByID(ctx context.Context, id order.ID) (Order, error)
}

// GetOrder asks for one order as the read model shows it.
type GetOrder struct {
	OrderID order.ID
}

// GetOrderHandler answers "what is order X?".
type GetOrderHandler struct {
	readModel OrderReadModel
}

// NewGetOrderHandler returns a handler over the read model.
func NewGetOrderHandler(readModel OrderReadModel) (GetOrderHandler, error) {
	if readModel == nil {
		return GetOrderHandler{}, errors.New("nil order read model")
	}
	return GetOrderHandler{readModel: readModel}, nil
}

// Handle returns the order, or order.ErrNotFound.
func (h GetOrderHandler) Handle(ctx context.Context, q GetOrder) (Order, error) {
	return h.readModel.OrderByID(ctx, q.OrderID)
}
