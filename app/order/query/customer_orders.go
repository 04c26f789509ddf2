package query

import (
	"context"
	"errors"
	"fmt"

	"github.com/orderflow/orders/domain/order"
)

// Page sizes of CustomerOrders.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// ErrInvalidQuery marks a query the caller must correct.
var ErrInvalidQuery = errors.New("invalid query")

// CustomerOrders asks for one page of a customer's orders, newest first.
// Cursor is empty for the first page, else the NextCursor of the page
// before.
type CustomerOrders struct {
	CustomerID string
	Limit      int
	Cursor     string
}

// OrderPage is one page of orders. NextCursor is empty on the last page.
type OrderPage struct {
	Orders     []Order
	NextCursor string
}

// CustomerOrdersReadModel reads the per-customer order list.
type CustomerOrdersReadModel interface {
	// CustomerOrders returns up to limit orders placed before the cursor's
	// position. A cursor it cannot read is an ErrInvalidQuery.
	CustomerOrders(ctx context.Context, customerID string, limit int, cursor string) (OrderPage, error)
}

// CustomerOrdersHandler lists a customer's orders.
type CustomerOrdersHandler struct {
	readModel CustomerOrdersReadModel
}

// NewCustomerOrdersHandler returns a handler over the read model.
func NewCustomerOrdersHandler(readModel CustomerOrdersReadModel) (CustomerOrdersHandler, error) {
	if readModel == nil {
		return CustomerOrdersHandler{}, errors.New("nil customer orders read model")
	}
	return CustomerOrdersHandler{readModel: readModel}, nil
}

// Handle returns one page of the customer's orders.
func (h CustomerOrdersHandler) Handle(ctx context.Context, q CustomerOrders) (OrderPage, error) {
	if q.CustomerID == "" {
		return OrderPage{}, fmt.Errorf("%w: customer_id is required", ErrInvalidQuery)
	}
	if !order.IsIdentifier(q.CustomerID, order.MaxCustomerIDLength) {
		// No order has such a customer; and NUL cannot even be looked up.
		return OrderPage{}, fmt.Errorf("%w: customer_id must be at most %d printable ASCII characters without spaces", ErrInvalidQuery, order.MaxCustomerIDLength)
	}
	if q.Limit == 0 {
		q.Limit = DefaultPageSize
	}
	if q.Limit < 1 || q.Limit > MaxPageSize {
		return OrderPage{}, fmt.Errorf("%w: limit must be between 1 and %d", ErrInvalidQuery, MaxPageSize)
	}
	return h.readModel.CustomerOrders(ctx, q.CustomerID, q.Limit, q.Cursor)
}
