package command

import (
	"context"
	"errors"

	"github.com/orderflow/orders/app/inbox"
	domain "github.com/orderflow/orders/domain/payment"
)

// OpenPayment records what a newly placed order owes.
type OpenPayment struct {
	// Message is the consumed message the command is the effect of.
	Message  inbox.Key
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
	return h.repo.Add(ctx, cmd.Message, p)
}
