package inventorystore

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	domain "github.com/orderflow/orders/domain/inventory"
	"github.com/orderflow/orders/platform/contracts/inventoryevents"
	"github.com/orderflow/orders/platform/correlation"
)

// outboxMessages makes the outbox messages of a reservation's new events:
// domain event -> published contract event -> envelope -> message, each
// with a new event ID and ctx's correlation ID.
func outboxMessages(ctx context.Context, orderID string, changes []domain.RecordedEvent) ([]*message.Message, error) {
	msgs := make([]*message.Message, len(changes))
	for i, c := range changes {
		published, err := toContract(c.Event)
		if err != nil {
			return nil, err
		}
		env, err := inventoryevents.Encode(uuid.NewString(), orderID, c.OccurredAt, published)
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

// toContract maps a domain event to the event the inventory publishes.
func toContract(e domain.Event) (inventoryevents.Event, error) {
	switch e := e.(type) {
	case domain.StockReserved:
		return inventoryevents.StockReserved{Lines: lines(e.Lines)}, nil
	case domain.StockRejected:
		var shortages []inventoryevents.Shortage // nil stays nil: null stays null on the wire
		if e.Shortages != nil {
			shortages = make([]inventoryevents.Shortage, len(e.Shortages))
		}
		for i, s := range e.Shortages {
			shortages[i] = inventoryevents.Shortage{SKU: s.SKU, Requested: s.Requested, Available: s.Available}
		}
		return inventoryevents.StockRejected{Reason: e.Reason, Shortages: shortages}, nil
	case domain.StockReleased:
		return inventoryevents.StockReleased{Lines: lines(e.Lines)}, nil
	case domain.StockCommitted:
		return inventoryevents.StockCommitted{Lines: lines(e.Lines)}, nil
	default:
		return nil, fmt.Errorf("inventory event %T has no published form", e)
	}
}

func lines(in []domain.Line) []inventoryevents.Line {
	if in == nil {
		return nil // null stays null on the wire
	}
	out := make([]inventoryevents.Line, len(in))
	for i, l := range in {
		out[i] = inventoryevents.Line{SKU: l.SKU, Quantity: l.Quantity}
	}
	return out
}
