package messaging

import (
	"encoding/json"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/eventcodec"
	"github.com/orderflow/orders/adapters/outcomecodec"
)

// delivery is a consumed message, decoded: the event and the envelope
// fields the handlers need.
type delivery struct {
	EventID    string
	OrderID    string
	OccurredAt time.Time
	Event      any
}

// wireEnvelope reads both envelopes on our topics: the order events'
// (adapters/eventcodec, with the stream version) and the inventory's and
// payment service's (adapters/outcomecodec).
type wireEnvelope struct {
	EventID       string          `json:"event_id"`
	EventType     string          `json:"event_type"`
	SchemaVersion int             `json:"schema_version"`
	OrderID       string          `json:"order_id"`
	OccurredAt    time.Time       `json:"occurred_at"`
	Data          json.RawMessage `json:"data"`
}

// decode reads msg; every error is permanent: the same bytes will not
// read better next time.
func decode(msg *message.Message) (delivery, error) {
	if msg.UUID == "" {
		return delivery{}, permanentf("message has no ID")
	}
	var env wireEnvelope
	if err := json.Unmarshal(msg.Payload, &env); err != nil {
		return delivery{}, permanentf("message %s: payload is not an event envelope: %v", msg.UUID, err)
	}
	if env.EventID != msg.UUID {
		return delivery{}, permanentf("message %s: envelope names event %q", msg.UUID, env.EventID)
	}
	if name := msg.Metadata.Get(eventcodec.MetadataEventName); name != "" && name != env.EventType {
		return delivery{}, permanentf("message %s: metadata names %q, envelope %q", msg.UUID, name, env.EventType)
	}
	if _, err := uuid.Parse(env.OrderID); err != nil {
		return delivery{}, permanentf("message %s: order_id %q is not a UUID", msg.UUID, env.OrderID)
	}
	var (
		event any
		err   error
	)
	if outcomecodec.Known(env.EventType) {
		event, err = outcomecodec.Envelope{
			EventID: env.EventID, EventType: env.EventType, SchemaVersion: env.SchemaVersion,
			OrderID: env.OrderID, OccurredAt: env.OccurredAt, Data: env.Data,
		}.Decode()
	} else {
		event, err = eventcodec.Unmarshal(env.EventType, env.SchemaVersion, env.Data)
	}
	if err != nil {
		return delivery{}, permanentf("message %s: %v", msg.UUID, err)
	}
	return delivery{EventID: env.EventID, OrderID: env.OrderID, OccurredAt: env.OccurredAt, Event: event}, nil
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
	return msg.Metadata.Get(eventcodec.MetadataPartitionKey)
}
