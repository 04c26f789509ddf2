package payment

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidQuery marks a query the caller must correct.
var ErrInvalidQuery = errors.New("invalid query")

// PaymentsOfOrderHandler answers "what was charged for order X?".
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
func (h PaymentsOfOrderHandler) Handle(ctx context.Context, orderID string) ([]Payment, error) {
	if strings.TrimSpace(orderID) == "" {
		return nil, fmt.Errorf("%w: order_id is required", ErrInvalidQuery)
	}
	return h.readModel.PaymentsOfOrder(ctx, orderID)
}
