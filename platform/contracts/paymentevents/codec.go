package paymentevents

import (
	"encoding/json"
	"time"

	"github.com/orderflow/orders/platform/contracts/envelope"
)

// SchemaVersion is the schema version of every event type this code
// writes; readers refuse others.
const SchemaVersion = 1

var codec = envelope.Codec[Event]{
	SchemaVersion: SchemaVersion,
	Decoders: map[string]func(json.RawMessage) (Event, error){
		PaymentCapturedType: decode[PaymentCaptured],
		PaymentDeclinedType: decode[PaymentDeclined],
		PaymentRefundedType: decode[PaymentRefunded],
	},
}

func decode[E Event](data json.RawMessage) (Event, error) {
	e, err := envelope.DecodeData[E](data) // strict: no field left out
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Known reports whether eventType is a payment event.
func Known(eventType string) bool { return codec.Known(eventType) }

// Encode returns the envelope of an event of the order orderID.
func Encode(eventID, orderID string, occurredAt time.Time, e Event) (envelope.Envelope, error) {
	return codec.Encode(eventID, orderID, occurredAt, e)
}

// Decode returns the event an envelope carries.
func Decode(env envelope.Envelope) (Event, error) { return codec.Decode(env) }
