package paymentevents

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/orderflow/orders/internal/contracts/envelope"
)

// SchemaVersion is the schema version of every event type this code
// writes; readers refuse others.
const SchemaVersion = 1

var decoders = map[string]func(json.RawMessage) (Event, error){
	PaymentCapturedType: decode[PaymentCaptured],
	PaymentDeclinedType: decode[PaymentDeclined],
	PaymentRefundedType: decode[PaymentRefunded],
}

func decode[E Event](data json.RawMessage) (Event, error) {
	var e E
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	return e, nil
}

// Known reports whether eventType is a payment event.
func Known(eventType string) bool {
	_, ok := decoders[eventType]
	return ok
}

// Encode returns the envelope of an event of the order orderID.
func Encode(eventID, orderID string, occurredAt time.Time, e Event) (envelope.Envelope, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return envelope.Envelope{}, fmt.Errorf("marshal %s: %w", e.EventType(), err)
	}
	return envelope.Envelope{
		EventID: eventID, EventType: e.EventType(), SchemaVersion: SchemaVersion,
		OrderID: orderID, OccurredAt: occurredAt.UTC(), Data: data,
	}, nil
}

// Decode returns the event an envelope carries.
func Decode(env envelope.Envelope) (Event, error) {
	dec, ok := decoders[env.EventType]
	if !ok {
		return nil, fmt.Errorf("unknown event type %q", env.EventType)
	}
	if env.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%s: schema version %d is not readable by this code (current %d)", env.EventType, env.SchemaVersion, SchemaVersion)
	}
	e, err := dec(env.Data)
	if err != nil {
		return nil, fmt.Errorf("unmarshal %s: %w", env.EventType, err)
	}
	return e, nil
}
