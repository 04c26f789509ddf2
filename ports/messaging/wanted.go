package messaging

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/platform/contracts/envelope"
	"github.com/orderflow/orders/platform/contracts/inventoryevents"
	"github.com/orderflow/orders/platform/contracts/orderevents"
	"github.com/orderflow/orders/platform/contracts/paymentevents"
)

// wantedOnly is the subscriber of one handler group: it acknowledges, as
// it receives them, the messages whose event name (the type header the
// publisher sets) is a contract event that none of the group's handlers
// wants, so that they reach neither the router nor the database: no
// decoding, no span, no parking check. Every other message goes on to
// the router: a wanted one, and one without a name or with a name no
// contract knows, which the router reads and dead-letters if it cannot.
//
// Skipping keeps the order of a partition: its next message is delivered
// only once this one is acknowledged.
type wantedOnly struct {
	message.Subscriber
	wanted map[string]bool
}

func newWantedOnly(subscriber message.Subscriber, handlers []cqrs.GroupEventHandler) wantedOnly {
	wanted := make(map[string]bool, len(handlers))
	for _, h := range handlers {
		wanted[marshaler{}.Name(h.NewEvent())] = true
	}
	return wantedOnly{Subscriber: subscriber, wanted: wanted}
}

// skips reports whether no handler wants msg, from its event name alone.
func (s wantedOnly) skips(msg *message.Message) bool {
	name := msg.Metadata.Get(envelope.MetadataEventName)
	return !s.wanted[name] && (orderevents.Known(name) || inventoryevents.Known(name) || paymentevents.Known(name))
}

// Subscribe passes on the topic's messages that a handler may want and
// acknowledges the others. The channel closes when the subscription's
// does; once ctx ends, the messages not yet passed on are nacked.
func (s wantedOnly) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	in, err := s.Subscriber.Subscribe(ctx, topic)
	if err != nil {
		return nil, err
	}
	out := make(chan *message.Message)
	go func() {
		defer close(out)
		for msg := range in {
			if s.skips(msg) {
				msg.Ack()
				continue
			}
			select {
			case out <- msg:
			case <-ctx.Done():
				msg.Nack()
			}
		}
	}()
	return out, nil
}
