package messaging

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/platform/contracts/envelope"
	"github.com/orderflow/orders/platform/contracts/inventoryevents"
	"github.com/orderflow/orders/platform/contracts/orderevents"
	"github.com/orderflow/orders/platform/contracts/paymentevents"
)

// decodedMessage is a consumed message, decoded: the contract event and the
// envelope fields the handlers need.
type decodedMessage struct {
	EventID    string
	OrderID    string
	Version    int // the order's version, for order events; 0 for others
	OccurredAt time.Time
	Event      any
}

// decoded is a message's decoding, kept in its context by read.
type decoded struct {
	message decodedMessage
	err     error
}

type decodedKey struct{}

// read returns msg decoded: decoded once, on the first call, and kept in
// the message's context for the middleware and the handler after it, so
// that no message is decoded twice. A message without its event name in the
// metadata gets the envelope's, which the event processor dispatches on.
func read(msg *message.Message) (decodedMessage, error) {
	if r, ok := msg.Context().Value(decodedKey{}).(*decoded); ok {
		return r.message, r.err
	}
	d, err := decode(msg)
	if typed, ok := d.Event.(interface{ EventType() string }); ok && err == nil && msg.Metadata.Get(envelope.MetadataEventName) == "" {
		msg.Metadata.Set(envelope.MetadataEventName, typed.EventType())
	}
	msg.SetContext(context.WithValue(msg.Context(), decodedKey{}, &decoded{message: d, err: err}))
	return d, err
}

// decode reads msg with the published contracts; every error is permanent:
// the same bytes will not read better next time.
func decode(msg *message.Message) (decodedMessage, error) {
	env, err := envelope.FromMessage(msg)
	if err != nil {
		return decodedMessage{}, Permanent(err)
	}
	if _, err := uuid.Parse(env.OrderID); err != nil {
		return decodedMessage{}, permanentf("message %s: order_id %q is not a UUID", msg.UUID, env.OrderID)
	}
	event, err := decodeEvent(env)
	if err != nil {
		return decodedMessage{}, permanentf("message %s: %v", msg.UUID, err)
	}
	return decodedMessage{EventID: env.EventID, OrderID: env.OrderID, Version: env.Version, OccurredAt: env.OccurredAt, Event: event}, nil
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
// order ID, or, when the message cannot be read, the payload's order ID
// or else the Kafka record key the publisher set (the partition key).
func orderKey(msg *message.Message) string {
	if d, err := read(msg); err == nil {
		return d.OrderID
	}
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
// the transaction of the effect. Under the router it also names the order
// whose parked messages refuse it (see parking); a release has none.
func inboxKey(ctx context.Context, consumer, eventID string) inbox.Key {
	orderKey, _ := ctx.Value(parkingCheckKey{}).(string)
	return inbox.Key{Consumer: consumer, MessageID: eventID, OrderKey: orderKey}
}

// orderEventKey is inboxKey for an order event: it names the order and
// version too, so that a second, different event of them is refused.
func orderEventKey[E interface{ EventType() string }](ctx context.Context, consumer string, e *Received[E]) inbox.Key {
	key := inboxKey(ctx, consumer, e.EventID)
	key.Order, key.Version = e.OrderID, e.Version
	return key
}
