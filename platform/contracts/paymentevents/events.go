// Package paymentevents is the published contract of the payment service:
// the events it publishes on its Kafka topic about each order's payment,
// their type names and schema version, and the codec between an event and
// its envelope. The types are the contract's own, not the payment
// domain's.
package paymentevents

// Event is one of the payment service's published events. The set is
// closed: every type is listed in this file.
type Event interface {
	EventType() string
	paymentEvent()
}

// Event type names on the wire. Renaming one breaks consumers.
const (
	PaymentCapturedType = "PaymentCaptured"
	PaymentDeclinedType = "PaymentDeclined"
	PaymentRefundedType = "PaymentRefunded"
)

// PaymentCaptured: the order's total was charged. Amount is in the
// currency's minor units.
type PaymentCaptured struct {
	PaymentID string `json:"payment_id"`
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
}

// PaymentDeclined: the gateway refused the charge.
type PaymentDeclined struct {
	Reason string `json:"reason"`
}

// PaymentRefunded: a captured amount was given back.
type PaymentRefunded struct {
	PaymentID string `json:"payment_id"`
	RefundID  string `json:"refund_id"`
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
}

func (PaymentCaptured) EventType() string { return PaymentCapturedType }
func (PaymentDeclined) EventType() string { return PaymentDeclinedType }
func (PaymentRefunded) EventType() string { return PaymentRefundedType }

func (PaymentCaptured) paymentEvent() {}
func (PaymentDeclined) paymentEvent() {}
func (PaymentRefunded) paymentEvent() {}
