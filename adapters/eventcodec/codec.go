// Package eventcodec is the wire and storage format of order events: the
// JSON of each event type, its schema version, and the envelope that
// carries an event on Kafka.
package eventcodec

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/orderflow/orders/domain/order"
)

// Metadata keys set on every outbox message. "name" is the key Watermill's
// cqrs package reads the event name from.
const (
	MetadataEventName     = "name"
	MetadataPartitionKey  = "partition_key"
	MetadataSchemaVersion = "schema_version"
)

// Envelope is the JSON payload of an order event on Kafka.
type Envelope struct {
	EventID       string          `json:"event_id"`
	EventType     string          `json:"event_type"`
	SchemaVersion int             `json:"schema_version"`
	OrderID       string          `json:"order_id"`
	Version       int             `json:"version"`
	OccurredAt    time.Time       `json:"occurred_at"`
	Data          json.RawMessage `json:"data"`
}

// currentSchemaVersions is the schema version that this code writes for
// each event type.
var currentSchemaVersions = map[string]int{
	order.OrderPlacedType: 1,
}

// Marshal returns an event's type, schema version and JSON data.
func Marshal(e order.Event) (eventType string, schemaVersion int, data []byte, err error) {
	eventType = e.EventType()
	schemaVersion, ok := currentSchemaVersions[eventType]
	if !ok {
		return "", 0, nil, fmt.Errorf("no schema version for event type %q", eventType)
	}
	data, err = json.Marshal(e)
	if err != nil {
		return "", 0, nil, fmt.Errorf("marshal %s: %w", eventType, err)
	}
	return eventType, schemaVersion, data, nil
}

// Unmarshal decodes stored event data of any known schema version into the
// current domain event.
func Unmarshal(eventType string, schemaVersion int, data []byte) (order.Event, error) {
	current, ok := currentSchemaVersions[eventType]
	if !ok {
		return nil, fmt.Errorf("unknown event type %q", eventType)
	}
	if schemaVersion < 1 || schemaVersion > current {
		return nil, fmt.Errorf("%s: schema version %d is not readable by this code (current %d)", eventType, schemaVersion, current)
	}

	var (
		e   order.Event
		err error
	)
	switch eventType {
	case order.OrderPlacedType:
		e, err = decode[order.OrderPlaced](data)
	}
	if err != nil {
		return nil, fmt.Errorf("unmarshal %s v%d: %w", eventType, schemaVersion, err)
	}
	return e, nil
}

func decode[E order.Event](data []byte) (order.Event, error) {
	var e E
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	return e, nil
}

// NewEnvelope builds the Kafka payload of one recorded event.
func NewEnvelope(eventID string, orderID order.ID, re order.RecordedEvent) (Envelope, error) {
	eventType, schemaVersion, data, err := Marshal(re.Event)
	if err != nil {
		return Envelope{}, err
	}
	return Envelope{
		EventID:       eventID,
		EventType:     eventType,
		SchemaVersion: schemaVersion,
		OrderID:       string(orderID),
		Version:       re.Version,
		OccurredAt:    re.OccurredAt,
		Data:          data,
	}, nil
}
