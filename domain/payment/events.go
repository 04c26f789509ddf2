package payment

import "time"

// Event is a fact about one order's payment, published on the payment
// service's topic. The set is closed: every type is listed here.
type Event interface {
	EventType() string
}

// Event type names on the wire. Renaming one breaks consumers.
const (
	PaymentCapturedType = "PaymentCaptured"
	PaymentDeclinedType = "PaymentDeclined"
	PaymentRefundedType = "PaymentRefunded"
)

// RecordedEvent is an event with the time it happened.
type RecordedEvent struct {
	OccurredAt time.Time
	Event      Event
}

// PaymentCaptured: the order's total was charged.
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
