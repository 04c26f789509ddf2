package order

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrPaymentMismatch: a captured amount differs from the order's total.
var ErrPaymentMismatch = errors.New("captured amount differs from the order total")

// MaxReasonLength bounds free-text reasons kept in events.
const MaxReasonLength = 500

// ReserveStock records that the inventory holds every line.
func (o *Order) ReserveStock(now time.Time) error {
	if o.status != StatusPlaced {
		return &TransitionError{Action: "reserve stock for", From: o.status}
	}
	o.record(now, OrderStockReserved{Currency: o.total.Currency(), Total: o.total.Amount()})
	return nil
}

// RejectStock records that stock is short, and cancels the order.
func (o *Order) RejectStock(reason string, now time.Time) error {
	if o.status != StatusPlaced {
		return &TransitionError{Action: "reject stock for", From: o.status}
	}
	reason = clip(reason)
	o.record(now, OrderStockRejected{Reason: reason})
	o.record(now, OrderCancelled{Reason: CancelledOutOfStock, Detail: reason})
	return nil
}

// CapturePayment records the charge of the order's total, and confirms the
// order: stock is already reserved.
func (o *Order) CapturePayment(paymentID string, amount Money, now time.Time) error {
	if o.status != StatusStockReserved {
		return &TransitionError{Action: "capture a payment for", From: o.status}
	}
	if amount != o.total {
		return fmt.Errorf("%w: captured %d %s, total %d %s", ErrPaymentMismatch,
			amount.Amount(), amount.Currency(), o.total.Amount(), o.total.Currency())
	}
	if strings.TrimSpace(paymentID) == "" {
		return &ValidationError{Fields: []FieldError{{Field: "payment_id", Problem: "must not be empty"}}}
	}
	o.record(now, OrderPaymentCaptured{PaymentID: paymentID, Amount: amount.Amount()})
	o.record(now, OrderConfirmed{})
	return nil
}

// DeclinePayment records a refused charge, and cancels the order.
func (o *Order) DeclinePayment(reason string, now time.Time) error {
	if o.status != StatusStockReserved {
		return &TransitionError{Action: "decline a payment for", From: o.status}
	}
	reason = clip(reason)
	o.record(now, OrderPaymentDeclined{Reason: reason})
	o.record(now, OrderCancelled{Reason: CancelledPaymentDenied, Detail: reason})
	return nil
}

// Cancel cancels the order at the customer's request. It is allowed until
// the order ships. The customer's detail is free text of at most
// MaxReasonLength characters without NUL.
func (o *Order) Cancel(detail string, now time.Time) error {
	if err := CheckCancelDetail(detail); err != nil {
		return err
	}
	if o.status.IsFinal() {
		return &TransitionError{Action: "cancel", From: o.status}
	}
	o.record(now, OrderCancelled{Reason: CancelledByCustomer, Detail: clip(detail)})
	return nil
}

// CheckCancelDetail validates a customer's cancel detail: free text of at
// most MaxReasonLength characters without NUL. A port may check it before
// the order is loaded, so that a bad request is refused as such whatever
// the order's state.
func CheckCancelDetail(detail string) error {
	var v validation
	switch {
	case utf8.RuneCountInString(detail) > MaxReasonLength:
		v.add("reason", "must be at most %d characters", MaxReasonLength)
	case hasNUL(detail):
		v.add("reason", "must not contain NUL characters")
	}
	return v.err()
}

// Ship records that a confirmed order left the warehouse.
func (o *Order) Ship(now time.Time) error {
	if o.status != StatusConfirmed {
		return &TransitionError{Action: "ship", From: o.status}
	}
	o.record(now, OrderShipped{})
	return nil
}

// clip bounds a free-text reason to MaxReasonLength runes.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > MaxReasonLength {
		return string(r[:MaxReasonLength])
	}
	return s
}
