package postgres

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/orderflow/orders/domain/order"
)

// The event store's storage format: the JSON of each order event type in
// order_events.data, its schema version, and the upcasters that read rows
// written by older code. It belongs to the store alone; what is published
// on Kafka is the order service's contract (platform/contracts/orderevents),
// made from the stored events (order_messages.go).

// storedSchema describes how one event type is stored and read back.
type storedSchema struct {
	// version is the schema version this code writes.
	version int
	// upcasters[v] turns data of version v into data of version v+1.
	upcasters map[int]func(json.RawMessage) (json.RawMessage, error)
	decode    func(json.RawMessage) (order.Event, error)
}

var storedSchemas = map[string]storedSchema{
	order.OrderPlacedType: {
		version:   2,
		upcasters: map[int]func(json.RawMessage) (json.RawMessage, error){1: upcastStoredOrderPlacedV1},
		decode:    decodeStored[order.OrderPlaced],
	},
	// Still version 1: its currency and total were added as fields that
	// rows stored before lack (they read as zero; the order never reads
	// them back) and older code ignores.
	order.OrderStockReservedType:   {version: 1, decode: decodeStored[order.OrderStockReserved]},
	order.OrderStockRejectedType:   {version: 1, decode: decodeStored[order.OrderStockRejected]},
	order.OrderPaymentCapturedType: {version: 1, decode: decodeStored[order.OrderPaymentCaptured]},
	order.OrderPaymentDeclinedType: {version: 1, decode: decodeStored[order.OrderPaymentDeclined]},
	order.OrderConfirmedType:       {version: 1, decode: decodeStored[order.OrderConfirmed]},
	order.OrderCancelledType:       {version: 1, decode: decodeStored[order.OrderCancelled]},
	order.OrderShippedType:         {version: 1, decode: decodeStored[order.OrderShipped]},
}

func decodeStored[E order.Event](data json.RawMessage) (order.Event, error) {
	var e *E // stays nil for a JSON null, which is no event
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	if e == nil {
		return nil, errors.New("the stored data is null")
	}
	return *e, nil
}

// encodeEvent returns an event's type, current storage schema version and
// stored JSON.
func encodeEvent(e order.Event) (eventType string, schemaVersion int, data []byte, err error) {
	eventType = e.EventType()
	schema, ok := storedSchemas[eventType]
	if !ok {
		return "", 0, nil, fmt.Errorf("no storage schema for event type %q", eventType)
	}
	data, err = json.Marshal(e)
	if err != nil {
		return "", 0, nil, fmt.Errorf("marshal %s: %w", eventType, err)
	}
	return eventType, schema.version, data, nil
}

// decodeEvent reads a stored event of any schema version this code knows
// into the current domain event, upcasting older versions one step at a
// time.
func decodeEvent(eventType string, schemaVersion int, data []byte) (order.Event, error) {
	schema, ok := storedSchemas[eventType]
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
