// Package outcomecodec is the wire format of the inventory's and the
// payment service's events on Kafka: a JSON envelope shaped like the order
// events' (adapters/eventcodec) without the stream version, since these
// services keep state, not event streams.
package outcomecodec

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/eventcodec"
	"github.com/orderflow/orders/domain/inventory"
	"github.com/orderflow/orders/domain/payment"
)

// SchemaVersion is the schema version of every event type this code
// writes; readers refuse others.
const SchemaVersion = 1

// Envelope is the JSON payload of one event.
type Envelope struct {
	EventID       string          `json:"event_id"`
	EventType     string          `json:"event_type"`
	SchemaVersion int             `json:"schema_version"`
	OrderID       string          `json:"order_id"`
	OccurredAt    time.Time       `json:"occurred_at"`
	Data          json.RawMessage `json:"data"`
}

// Event is an inventory or payment event.
type Event interface {
	EventType() string
}

// decoders reads each known event type.
var decoders = map[string]func(json.RawMessage) (Event, error){
	inventory.StockReservedType:  decode[inventory.StockReserved],
	inventory.StockRejectedType:  decode[inventory.StockRejected],
	inventory.StockReleasedType:  decode[inventory.StockReleased],
	inventory.StockCommittedType: decode[inventory.StockCommitted],
	payment.PaymentCapturedType:  decode[payment.PaymentCaptured],
	payment.PaymentDeclinedType:  decode[payment.PaymentDeclined],
	payment.PaymentRefundedType:  decode[payment.PaymentRefunded],
}

func decode[E Event](data json.RawMessage) (Event, error) {
	var e E
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	return e, nil
}

// Known reports whether eventType is an inventory or payment event.
func Known(eventType string) bool {
	_, ok := decoders[eventType]
	return ok
}

// NewEnvelope builds the payload of one event with a new event ID.
func NewEnvelope(orderID string, occurredAt time.Time, e Event) (Envelope, error) {
	if !Known(e.EventType()) {
		return Envelope{}, fmt.Errorf("no schema for event type %q", e.EventType())
	}
	data, err := json.Marshal(e)
	if err != nil {
		return Envelope{}, fmt.Errorf("marshal %s: %w", e.EventType(), err)
	}
	return Envelope{
		EventID: uuid.NewString(), EventType: e.EventType(), SchemaVersion: SchemaVersion,
		OrderID: orderID, OccurredAt: occurredAt.UTC(), Data: data,
	}, nil
}

// Message returns the Watermill message that carries the envelope: UUID =
// event ID (consumers deduplicate on it), partition key = order ID (one
// order's events share a Kafka partition), name = event type.
func (e Envelope) Message() (*message.Message, error) {
	payload, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("marshal envelope of event %s: %w", e.EventID, err)
	}
	msg := message.NewMessage(e.EventID, payload)
	msg.Metadata.Set(eventcodec.MetadataEventName, e.EventType)
	msg.Metadata.Set(eventcodec.MetadataPartitionKey, e.OrderID)
	msg.Metadata.Set(eventcodec.MetadataSchemaVersion, strconv.Itoa(e.SchemaVersion))
	return msg, nil
}

// Decode returns the event an envelope carries.
func (e Envelope) Decode() (Event, error) {
	dec, ok := decoders[e.EventType]
	if !ok {
		return nil, fmt.Errorf("unknown event type %q", e.EventType)
	}
	if e.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%s: schema version %d is not readable by this code (current %d)", e.EventType, e.SchemaVersion, SchemaVersion)
	}
	ev, err := dec(e.Data)
	if err != nil {
		return nil, fmt.Errorf("unmarshal %s: %w", e.EventType, err)
	}
	return ev, nil
}

// Messages returns the messages of recorded events of one order.
func Messages(orderID string, events []Recorded) ([]*message.Message, error) {
	msgs := make([]*message.Message, 0, len(events))
	for _, re := range events {
		env, err := NewEnvelope(orderID, re.OccurredAt, re.Event)
		if err != nil {
			return nil, err
		}
		msg, err := env.Message()
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, msg)
	}
	return msgs, nil
}

// Recorded is an event with its time, as the domains record them.
type Recorded struct {
	OccurredAt time.Time
	Event      Event
}
