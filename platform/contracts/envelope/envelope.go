// Package envelope is the one envelope every published event travels in,
// whichever service produced it: the JSON payload of a Kafka record, the
// metadata keys set on its Watermill message, and the two conversions
// between an envelope and a message. The event types themselves live in
// one contract package per producing service (orderevents,
// inventoryevents, paymentevents).
package envelope

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Metadata keys set on every published message; they become Kafka record
// headers. "name" is the key Watermill's cqrs package reads the event name
// from; "correlation_id" is the key of Watermill's correlation middleware.
const (
	MetadataEventName     = "name"
	MetadataPartitionKey  = "partition_key"
	MetadataSchemaVersion = "schema_version"
	MetadataCorrelationID = "correlation_id"
)

// Envelope is the JSON payload of one event. Version is the order stream's
// version: set for order events, absent (zero) for the inventory's and the
// payment service's, which keep state, not event streams.
type Envelope struct {
	EventID       string          `json:"event_id"`
	EventType     string          `json:"event_type"`
	SchemaVersion int             `json:"schema_version"`
	OrderID       string          `json:"order_id"`
	Version       int             `json:"version,omitempty"`
	OccurredAt    time.Time       `json:"occurred_at"`
	Data          json.RawMessage `json:"data"`
}

// Message returns the Watermill message that carries the envelope. Its UUID
// is the event ID, so consumers can deduplicate on it, and its partition
// key is the order ID, so one order's events share a Kafka partition.
func (e Envelope) Message() (*message.Message, error) {
	payload, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("marshal envelope of event %s: %w", e.EventID, err)
	}
	msg := message.NewMessage(e.EventID, payload)
	msg.Metadata.Set(MetadataEventName, e.EventType)
	msg.Metadata.Set(MetadataPartitionKey, e.OrderID)
	msg.Metadata.Set(MetadataSchemaVersion, strconv.Itoa(e.SchemaVersion))
	return msg, nil
}

// FromMessage reads the envelope a message carries. It refuses a message
// without an ID, a payload that is not a whole envelope (a field missing
// or null), and an envelope that
// contradicts its message (another event ID, another event name).
func FromMessage(msg *message.Message) (Envelope, error) {
	if msg.UUID == "" {
		return Envelope{}, errors.New("message has no ID")
	}
	env, err := DecodeData[Envelope](json.RawMessage(msg.Payload)) // every field but version
	if err != nil {
		return Envelope{}, fmt.Errorf("message %s: payload is not an event envelope: %w", msg.UUID, err)
	}
	if env.EventID != msg.UUID {
		return Envelope{}, fmt.Errorf("message %s: envelope names event %q", msg.UUID, env.EventID)
	}
	if name := msg.Metadata.Get(MetadataEventName); name != "" && name != env.EventType {
		return Envelope{}, fmt.Errorf("message %s: metadata names %q, envelope %q", msg.UUID, name, env.EventType)
	}
	return env, nil
}
