// Package payment holds the payment service's domain: the Payment of one
// order, from the amount due to its capture or decline, and its refund.
package payment

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrNotFound is returned when there is no payment for an order.
var ErrNotFound = errors.New("no payment for this order")

// ErrInvalid is matched (errors.Is) by errors about input that breaks a
// rule of the domain: retrying the same input cannot succeed.
var ErrInvalid = errors.New("invalid payment")

// ErrIllegalTransition is matched (errors.Is) by every TransitionError.
var ErrIllegalTransition = errors.New("illegal payment transition")

// TransitionError says which action a payment's status forbids.
type TransitionError struct {
	Action string
	From   Status
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s a payment that is %s", e.Action, e.From)
}

// Is makes errors.Is(err, ErrIllegalTransition) true.
func (e *TransitionError) Is(target error) bool { return target == ErrIllegalTransition }

// Status is where a payment stands:
//
//	due ──charge──> charging ──captured──> captured ──order cancelled──> refunding ──> refunded
//	 │                  └──refused──> declined
//	 └──order cancelled before the charge──> voided
//
// charging and refunding record a gateway call that was decided but whose
// answer is not recorded yet: the call is made outside the payment's
// transaction, so a crash can leave a payment in either. Whoever finds it
// there makes the call again with the same idempotency key, which returns
// the first answer, and records that answer.
type Status string

const (
	StatusDue       Status = "due"
	StatusCharging  Status = "charging"
	StatusCaptured  Status = "captured"
	StatusDeclined  Status = "declined"
	StatusRefunding Status = "refunding"
	StatusRefunded  Status = "refunded"
	StatusVoided    Status = "voided"
)

func (s Status) String() string { return string(s) }

func (s Status) valid() bool {
	switch s {
	case StatusDue, StatusCharging, StatusCaptured, StatusDeclined, StatusRefunding, StatusRefunded, StatusVoided:
		return true
	}
	return false
}

// AwaitsGateway reports whether the payment waits for the answer of a
// gateway call it recorded as started (charging or refunding).
func (s Status) AwaitsGateway() bool { return s == StatusCharging || s == StatusRefunding }

// MaxReasonLength bounds a decline reason, as the order bounds its reasons.
const MaxReasonLength = 500

// Payment is the payment of one order.
type Payment struct {
	orderID   string
	amount    int64
	currency  string
	status    Status
	paymentID string
	refundID  string
	reason    string

	changes []RecordedEvent
}

// Open records what an order owes, before anything is charged.
func Open(orderID string, amount int64, currency string) (*Payment, error) {
	var problems []string
	if strings.TrimSpace(orderID) == "" {
		problems = append(problems, "order_id must not be empty")
	}
	if amount < 0 {
		problems = append(problems, "amount must not be negative")
	}
	if len(currency) != 3 {
		problems = append(problems, "currency must be an ISO 4217 code")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return &Payment{orderID: orderID, amount: amount, currency: currency, status: StatusDue}, nil
}

// Restore returns a payment as stored.
func Restore(orderID string, amount int64, currency string, status Status, paymentID, refundID, reason string) (*Payment, error) {
	if !status.valid() {
		return nil, fmt.Errorf("payment of order %s: unknown status %q", orderID, status)
	}
	return &Payment{orderID: orderID, amount: amount, currency: currency, status: status,
		paymentID: paymentID, refundID: refundID, reason: reason}, nil
}

// StartCharge records the decision to charge the amount due, before the
// gateway is asked. Nothing is published: the answer will be.
func (p *Payment) StartCharge() error {
	if p.status != StatusDue {
		return &TransitionError{Action: "start charging", From: p.status}
	}
	p.status = StatusCharging
	return nil
}

// Capture records that the gateway charged the amount due.
func (p *Payment) Capture(paymentID string, now time.Time) error {
	if p.status != StatusCharging {
		return &TransitionError{Action: "capture", From: p.status}
	}
	if strings.TrimSpace(paymentID) == "" {
		return fmt.Errorf("%w: capture needs the gateway's payment ID", ErrInvalid)
	}
	p.status, p.paymentID = StatusCaptured, paymentID
	p.record(now, PaymentCaptured{PaymentID: paymentID, Amount: p.amount, Currency: p.currency})
	return nil
}

// Decline records that the gateway refused the charge.
func (p *Payment) Decline(reason string, now time.Time) error {
	if p.status != StatusCharging {
		return &TransitionError{Action: "decline", From: p.status}
	}
	p.status, p.reason = StatusDeclined, clip(reason)
	p.record(now, PaymentDeclined{Reason: p.reason})
	return nil
}

// StartRefund records the decision to give a captured amount back, before
// the gateway is asked.
func (p *Payment) StartRefund() error {
	if p.status != StatusCaptured {
		return &TransitionError{Action: "start refunding", From: p.status}
	}
	p.status = StatusRefunding
	return nil
}

// Refund records that the gateway gave a captured amount back.
func (p *Payment) Refund(refundID string, now time.Time) error {
	if p.status != StatusRefunding {
		return &TransitionError{Action: "refund", From: p.status}
	}
	p.status, p.refundID = StatusRefunded, refundID
	p.record(now, PaymentRefunded{PaymentID: p.paymentID, RefundID: refundID, Amount: p.amount, Currency: p.currency})
	return nil
}

// Void closes a payment that was never charged: the order was cancelled
// first. Nothing is published: nobody waits for it.
func (p *Payment) Void() error {
	if p.status != StatusDue {
		return &TransitionError{Action: "void", From: p.status}
	}
	p.status = StatusVoided
	return nil
}

func (p *Payment) record(now time.Time, e Event) {
	p.changes = append(p.changes, RecordedEvent{OccurredAt: now.UTC(), Event: e})
}

// OrderID returns the order the payment is for.
func (p *Payment) OrderID() string { return p.orderID }

// Amount returns the amount due, in minor units.
func (p *Payment) Amount() int64 { return p.amount }

// Currency returns the ISO 4217 code of the amount.
func (p *Payment) Currency() string { return p.currency }

// Status returns where the payment stands.
func (p *Payment) Status() Status { return p.status }

// PaymentID returns the gateway's ID of the capture, once captured.
func (p *Payment) PaymentID() string { return p.paymentID }

// RefundID returns the gateway's ID of the refund, once refunded.
func (p *Payment) RefundID() string { return p.refundID }

// Reason returns why the charge was declined.
func (p *Payment) Reason() string { return p.reason }

// Changes returns the events recorded since the payment was loaded.
func (p *Payment) Changes() []RecordedEvent { return slices.Clone(p.changes) }

func clip(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > MaxReasonLength {
		return string(r[:MaxReasonLength])
	}
	return s
}
