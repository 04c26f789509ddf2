package payment

import (
	"context"
	"errors"

	domain "github.com/orderflow/orders/domain/payment"
)

// OpenPayment records what a newly placed order owes.
type OpenPayment struct {
	OrderID  string
	Amount   int64
	Currency string
}

// OpenPaymentHandler opens payments.
type OpenPaymentHandler struct {
	repo Repository
}

// NewOpenPaymentHandler returns a handler.
func NewOpenPaymentHandler(repo Repository) (OpenPaymentHandler, error) {
	if repo == nil {
		return OpenPaymentHandler{}, errors.New("nil payment repository")
	}
	return OpenPaymentHandler{repo: repo}, nil
}

// Handle stores the amount due; nothing is charged yet.
func (h OpenPaymentHandler) Handle(ctx context.Context, cmd OpenPayment) error {
	p, err := domain.Open(cmd.OrderID, cmd.Amount, cmd.Currency)
	if err != nil {
		return err
	}
	return h.repo.Add(ctx, p)
}
