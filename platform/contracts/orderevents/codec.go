package orderevents

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/orderflow/orders/platform/contracts/envelope"
)

// schema describes how one event type is written and read.
type schema struct {
	// version is the schema version this code writes.
	version int
	// upcasters[v] turns data of version v into data of version v+1.
	upcasters map[int]func(json.RawMessage) (json.RawMessage, error)
	decode    func(json.RawMessage) (Event, error)
}

var schemas = map[string]schema{
	OrderPlacedType: {
		version:   2,
		upcasters: map[int]func(json.RawMessage) (json.RawMessage, error){1: upcastOrderPlacedV1},
		decode:    decode[OrderPlaced],
	},
	OrderStockReservedType: {
		version:   2,
		upcasters: map[int]func(json.RawMessage) (json.RawMessage, error){1: upcastOrderStockReservedV1},
		decode:    decode[OrderStockReserved],
	},
	OrderStockRejectedType:   {version: 1, decode: decode[OrderStockRejected]},
	OrderPaymentCapturedType: {version: 1, decode: decode[OrderPaymentCaptured]},
	OrderPaymentDeclinedType: {version: 1, decode: decode[OrderPaymentDeclined]},
	OrderConfirmedType:       {version: 1, decode: decode[OrderConfirmed]},
	OrderCancelledType:       {version: 1, decode: decode[OrderCancelled]},
	OrderShippedType:         {version: 1, decode: decode[OrderShipped]},
}

func decode[E Event](data json.RawMessage) (Event, error) {
	e, err := envelope.DecodeData[E](data) // strict: no field left out
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Known reports whether eventType is an order event.
func Known(eventType string) bool {
	_, ok := schemas[eventType]
	return ok
}

// Encode returns the envelope of an event: the event with its ID, its
// order, its place (version) in the order's stream and its time, in the
// current schema version.
func Encode(eventID, orderID string, version int, occurredAt time.Time, e Event) (envelope.Envelope, error) {
	s, ok := schemas[e.EventType()]
	if !ok {
		return envelope.Envelope{}, fmt.Errorf("no schema for event type %q", e.EventType())
	}
	data, err := json.Marshal(e)
	if err != nil {
		return envelope.Envelope{}, fmt.Errorf("marshal %s: %w", e.EventType(), err)
	}
	return envelope.Envelope{
		EventID: eventID, EventType: e.EventType(), SchemaVersion: s.version,
		OrderID: orderID, Version: version, OccurredAt: occurredAt, Data: data,
	}, nil
}

// Decode returns the event an envelope carries, of any schema version this
// code knows, upcast one step at a time to the current one.
func Decode(env envelope.Envelope) (Event, error) {
	s, ok := schemas[env.EventType]
	if !ok {
		return nil, fmt.Errorf("unknown event type %q", env.EventType)
	}
	if env.SchemaVersion < 1 || env.SchemaVersion > s.version {
		return nil, fmt.Errorf("%s: schema version %d is not readable by this code (current %d)", env.EventType, env.SchemaVersion, s.version)
	}
	raw := env.Data
	for v := env.SchemaVersion; v < s.version; v++ {
		upcast, ok := s.upcasters[v]
		if !ok {
			return nil, fmt.Errorf("%s: no upcaster from schema version %d", env.EventType, v)
		}
		var err error
		if raw, err = upcast(raw); err != nil {
			return nil, fmt.Errorf("upcast %s from v%d: %w", env.EventType, v, err)
		}
	}
	e, err := s.decode(raw)
	if err != nil {
		return nil, fmt.Errorf("unmarshal %s v%d: %w", env.EventType, env.SchemaVersion, err)
	}
	return e, nil
}
