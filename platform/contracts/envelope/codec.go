package envelope

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event is a published event: its type names it on the wire.
type Event interface {
	EventType() string
}

// Codec writes and reads the events of a producing service whose event
// types all have one schema version (the inventory's and the payment
// service's; the order events evolve per type, see orderevents).
type Codec[E Event] struct {
	// SchemaVersion is the version this code writes; readers refuse others.
	SchemaVersion int
	// Decoders reads the data of each known event type.
	Decoders map[string]func(json.RawMessage) (E, error)
}

// Known reports whether eventType is one of the codec's.
func (c Codec[E]) Known(eventType string) bool {
	_, ok := c.Decoders[eventType]
	return ok
}

// Encode returns the envelope of an event of the order orderID.
func (c Codec[E]) Encode(eventID, orderID string, occurredAt time.Time, e E) (Envelope, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return Envelope{}, fmt.Errorf("marshal %s: %w", e.EventType(), err)
	}
	return Envelope{
		EventID: eventID, EventType: e.EventType(), SchemaVersion: c.SchemaVersion,
		OrderID: orderID, OccurredAt: occurredAt.UTC(), Data: data,
	}, nil
}

// Decode returns the event an envelope carries.
func (c Codec[E]) Decode(env Envelope) (E, error) {
	var none E
	dec, ok := c.Decoders[env.EventType]
	if !ok {
		return none, fmt.Errorf("unknown event type %q", env.EventType)
	}
	if env.SchemaVersion != c.SchemaVersion {
		return none, fmt.Errorf("%s: schema version %d is not readable by this code (current %d)", env.EventType, env.SchemaVersion, c.SchemaVersion)
	}
	e, err := dec(env.Data)
	if err != nil {
		return none, fmt.Errorf("unmarshal %s: %w", env.EventType, err)
	}
	return e, nil
}
