// Package eventcodec is the wire and storage format of order events: the
// JSON of each event type, its schema version, the upcasters that read
// older versions, and the envelope that carries an event on Kafka.
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

// eventSchema describes how one event type is written and read.
type eventSchema struct {
	// version is the schema version this code writes.
	version int
	// upcasters[v] turns data of version v into data of version v+1.
	upcasters map[int]func(json.RawMessage) (json.RawMessage, error)
	decode    func(json.RawMessage) (order.Event, error)
}

var schemas = map[string]eventSchema{
	order.OrderPlacedType: {
		version:   2,
		upcasters: map[int]func(json.RawMessage) (json.RawMessage, error){1: upcastOrderPlacedV1},
		decode:    decode[order.OrderPlaced],
	},
	order.OrderStockReservedType:   {version: 1, decode: decode[order.OrderStockReserved]},
	order.OrderStockRejectedType:   {version: 1, decode: decode[order.OrderStockRejected]},
	order.OrderPaymentCapturedType: {version: 1, decode: decode[order.OrderPaymentCaptured]},
	order.OrderPaymentDeclinedType: {version: 1, decode: decode[order.OrderPaymentDeclined]},
	order.OrderConfirmedType:       {version: 1, decode: decode[order.OrderConfirmed]},
	order.OrderCancelledType:       {version: 1, decode: decode[order.OrderCancelled]},
	order.OrderShippedType:         {version: 1, decode: decode[order.OrderShipped]},
}

// Marshal returns an event's type, current schema version and JSON data.
func Marshal(e order.Event) (eventType string, schemaVersion int, data []byte, err error) {
	eventType = e.EventType()
	schema, ok := schemas[eventType]
	if !ok {
		return "", 0, nil, fmt.Errorf("no schema for event type %q", eventType)
	}
	data, err = json.Marshal(e)
	if err != nil {
		return "", 0, nil, fmt.Errorf("marshal %s: %w", eventType, err)
	}
	return eventType, schema.version, data, nil
}

// Unmarshal decodes event data of any schema version this code knows into
// the current domain event, upcasting older versions one step at a time.
func Unmarshal(eventType string, schemaVersion int, data []byte) (order.Event, error) {
	schema, ok := schemas[eventType]
	if !ok {
		return nil, fmt.Errorf("unknown event type %q", eventType)
	}
	if schemaVersion < 1 || schemaVersion > schema.version {
		return nil, fmt.Errorf("%s: schema version %d is not readable by this code (current %d)", eventType, schemaVersion, schema.version)
	}
	raw := json.RawMessage(data)
	for v := schemaVersion; v < schema.version; v++ {
		upcast, ok := schema.upcasters[v]
		if !ok {
			return nil, fmt.Errorf("%s: no upcaster from schema version %d", eventType, v)
		}
		var err error
		if raw, err = upcast(raw); err != nil {
			return nil, fmt.Errorf("upcast %s from v%d: %w", eventType, v, err)
		}
	}
	e, err := schema.decode(raw)
	if err != nil {
		return nil, fmt.Errorf("unmarshal %s v%d: %w", eventType, schemaVersion, err)
	}
	return e, nil
}

func decode[E order.Event](data json.RawMessage) (order.Event, error) {
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
