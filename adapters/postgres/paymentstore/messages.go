package paymentstore

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	domain "github.com/orderflow/orders/domain/payment"
	"github.com/orderflow/orders/platform/contracts/paymentevents"
	"github.com/orderflow/orders/platform/correlation"
)

// outboxMessages makes the outbox messages of a payment's new events:
// domain event -> published contract event -> envelope -> message, each
// with a new event ID and ctx's correlation ID.
func outboxMessages(ctx context.Context, orderID string, changes []domain.RecordedEvent) ([]*message.Message, error) {
	msgs := make([]*message.Message, len(changes))
	for i, c := range changes {
		published, err := toContract(c.Event)
		if err != nil {
			return nil, err
		}
		env, err := paymentevents.Encode(uuid.NewString(), orderID, c.OccurredAt, published)
		if err != nil {
			return nil, err
		}
		if msgs[i], err = env.Message(); err != nil {
			return nil, err
		}
	}
	correlation.Stamp(ctx, msgs...)
	return msgs, nil
}

// toContract maps a domain event to the event the payment service
// publishes.
func toContract(e domain.Event) (paymentevents.Event, error) {
	switch e := e.(type) {
	case domain.PaymentCaptured:
		return paymentevents.PaymentCaptured{PaymentID: e.PaymentID, Amount: e.Amount, Currency: e.Currency}, nil
	case domain.PaymentDeclined:
		return paymentevents.PaymentDeclined{Reason: e.Reason}, nil
	case domain.PaymentRefunded:
		return paymentevents.PaymentRefunded{PaymentID: e.PaymentID, RefundID: e.RefundID, Amount: e.Amount, Currency: e.Currency}, nil
	default:
		return nil, fmt.Errorf("payment event %T has no published form", e)
	}
}
