// Package query holds the payment service's read side: the payments of an
// order and the read model port it needs.
package query

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalidQuery marks a query the caller must correct.
var ErrInvalidQuery = errors.New("invalid query")

// Payment is a payment as operators see it.
type Payment struct {
	OrderID   string
	Amount    int64
	Currency  string
	Status    string
	PaymentID string
	RefundID  string
	Reason    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ReadModel reads payments.
type ReadModel interface {
	// PaymentsOfOrder returns the order's payments (none or one today).
	PaymentsOfOrder(ctx context.Context, orderID string) ([]Payment, error)
}

// PaymentsOfOrder asks what was charged for an order.
type PaymentsOfOrder struct {
	OrderID string
}

// PaymentsOfOrderHandler answers PaymentsOfOrder from the read model.
type PaymentsOfOrderHandler struct {
	readModel ReadModel
}

// NewPaymentsOfOrderHandler returns a handler over the read model.
func NewPaymentsOfOrderHandler(readModel ReadModel) (PaymentsOfOrderHandler, error) {
	if readModel == nil {
		return PaymentsOfOrderHandler{}, errors.New("nil payment read model")
	}
	return PaymentsOfOrderHandler{readModel: readModel}, nil
}

// Handle returns the order's payments.
func (h PaymentsOfOrderHandler) Handle(ctx context.Context, q PaymentsOfOrder) ([]Payment, error) {
	if strings.TrimSpace(q.OrderID) == "" {
		return nil, fmt.Errorf("%w: order_id is required", ErrInvalidQuery)
	}
	return h.readModel.PaymentsOfOrder(ctx, q.OrderID)
}
