package messaging

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/internal/contracts/envelope"
	"github.com/orderflow/orders/internal/contracts/inventoryevents"
	"github.com/orderflow/orders/internal/contracts/orderevents"
	"github.com/orderflow/orders/internal/contracts/paymentevents"
)

// delivery is a consumed message, decoded: the contract event and the
// envelope fields the handlers need.
type delivery struct {
	EventID    string
	OrderID    string
	OccurredAt time.Time
	Event      any
}

// decode reads msg with the published contracts; every error is permanent:
// the same bytes will not read better next time.
func decode(msg *message.Message) (delivery, error) {
	env, err := envelope.FromMessage(msg)
	if err != nil {
		return delivery{}, Permanent(err)
	}
	if _, err := uuid.Parse(env.OrderID); err != nil {
		return delivery{}, permanentf("message %s: order_id %q is not a UUID", msg.UUID, env.OrderID)
	}
	event, err := decodeEvent(env)
	if err != nil {
		return delivery{}, permanentf("message %s: %v", msg.UUID, err)
	}
	return delivery{EventID: env.EventID, OrderID: env.OrderID, OccurredAt: env.OccurredAt, Event: event}, nil
}

// decodeEvent reads the event of any producing service's contract; their
// event type names do not overlap.
func decodeEvent(env envelope.Envelope) (any, error) {
	switch {
	case orderevents.Known(env.EventType):
		return orderevents.Decode(env)
	case inventoryevents.Known(env.EventType):
		return inventoryevents.Decode(env)
	case paymentevents.Known(env.EventType):
		return paymentevents.Decode(env)
	default:
		return nil, fmt.Errorf("unknown event type %q", env.EventType)
	}
}

// orderKey is the order a message belongs to, for parking: the envelope's
// order ID, or, when the payload cannot be read, the Kafka record key the
// publisher set (the partition key).
func orderKey(msg *message.Message) string {
	var env struct {
		OrderID string `json:"order_id"`
	}
	if json.Unmarshal(msg.Payload, &env) == nil && env.OrderID != "" {
		return env.OrderID
	}
	return msg.Metadata.Get(envelope.MetadataPartitionKey)
}

// inboxKey names the message of an event for the consumer: the commands a
// handler issues carry it, and the repository records it in the inbox in
// the transaction of the effect.
func inboxKey(consumer, eventID string) inbox.Key {
	return inbox.Key{Consumer: consumer, MessageID: eventID}
}
