package postgres

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/platform/contracts/orderevents"
	"github.com/orderflow/orders/platform/correlation"
)

// outboxMessages makes the outbox messages of an order's newly stored
// events: domain event -> published contract event -> envelope -> message,
// each with the event ID the store gave it and ctx's correlation ID.
func outboxMessages(ctx context.Context, id order.ID, stored []storedEvent) ([]*message.Message, error) {
	msgs := make([]*message.Message, len(stored))
	for i, e := range stored {
		published, err := toContract(e.Event)
		if err != nil {
			return nil, err
		}
		env, err := orderevents.Encode(e.EventID, string(id), e.Version, e.OccurredAt, published)
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

// toContract maps a domain event to the event the order service publishes.
func toContract(e order.Event) (orderevents.Event, error) {
	switch e := e.(type) {
	case order.OrderPlaced:
		var items []orderevents.Item // nil stays nil: null stays null on the wire
		if e.Items != nil {
			items = make([]orderevents.Item, len(e.Items))
		}
		for i, it := range e.Items {
			items[i] = orderevents.Item{SKU: it.SKU, Quantity: it.Quantity, UnitPrice: it.UnitPrice, Subtotal: it.Subtotal}
		}
		return orderevents.OrderPlaced{CustomerID: e.CustomerID, Currency: string(e.Currency), Items: items, Total: e.Total}, nil
	case order.OrderStockReserved:
		return orderevents.OrderStockReserved{Currency: string(e.Currency), Total: e.Total}, nil
	case order.OrderStockRejected:
		return orderevents.OrderStockRejected{Reason: e.Reason}, nil
	case order.OrderPaymentCaptured:
		return orderevents.OrderPaymentCaptured{PaymentID: e.PaymentID, Amount: e.Amount}, nil
	case order.OrderPaymentDeclined:
		return orderevents.OrderPaymentDeclined{Reason: e.Reason}, nil
	case order.OrderConfirmed:
		return orderevents.OrderConfirmed{}, nil
	case order.OrderCancelled:
		return orderevents.OrderCancelled{Reason: string(e.Reason), Detail: e.Detail}, nil
	case order.OrderShipped:
		return orderevents.OrderShipped{}, nil
	default:
		return nil, fmt.Errorf("order event %T has no published form", e)
	}
}
