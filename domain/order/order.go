// Package order holds the Order aggregate: its state is the fold of its
// events, and its behaviour methods check invariants before recording new ones.
package order

import (
	"fmt"
	"time"
)

// ID identifies an order. The application chooses it (a UUID) before the
// order exists, so a retried request can carry the same one.
type ID string

// MaxCustomerIDLength bounds the customer reference we store.
const MaxCustomerIDLength = 64

// Order is the aggregate. Fields are unexported: state changes only through
// events applied by apply.
type Order struct {
	id         ID
	customerID string
	items      []Item
	total      Money
	status     Status
	placedAt   time.Time
	updatedAt  time.Time

	paymentID    string // set once the payment is captured
	cancelReason CancelReason
	cancelDetail string

	version int // version of the last applied event, new ones included
	changes []RecordedEvent
}

// FromHistory rebuilds an order from its stored events, oldest first.
func FromHistory(id ID, history []RecordedEvent) (*Order, error) {
	if len(history) == 0 {
		return nil, ErrNotFound
	}
	o := &Order{id: id}
	for _, e := range history {
		if e.Version != o.version+1 {
			return nil, fmt.Errorf("order %s: event version %d follows %d: history has a gap", id, e.Version, o.version)
		}
		if err := o.apply(e); err != nil {
			return nil, fmt.Errorf("order %s: %w", id, err)
		}
	}
	return o, nil
}

// record applies a new event and keeps it to be stored.
//
// It panics where FromHistory returns an error: its callers are this
// package's behaviour methods, each passing an event value of its own, so
// apply can refuse one only when an event type was added without a case in
// apply. That is a programmer error the domain tests hit at once, not a
// state a caller can handle; returning it would put an unreachable error
// branch into every behaviour method.
func (o *Order) record(now time.Time, e Event) {
	re := RecordedEvent{Version: o.version + 1, OccurredAt: now.UTC(), Event: e}
	if err := o.apply(re); err != nil {
		panic("order: recording an event apply does not handle: " + err.Error())
	}
	o.changes = append(o.changes, re)
}

// apply is the only place where state changes, for new and stored events
// alike. Event is sealed, so the default case is met only by a nil event
// (a store that decoded nothing) or a type added without its case here.
func (o *Order) apply(re RecordedEvent) error {
	switch e := re.Event.(type) {
	case OrderPlaced:
		o.customerID = e.CustomerID
		o.items = fromEventItems(e.Items, e.Currency)
		o.total = NewMoney(e.Total, e.Currency)
		o.status = StatusPlaced
		o.placedAt = re.OccurredAt
	case OrderStockReserved:
		o.status = StatusStockReserved
	case OrderPaymentCaptured:
		o.paymentID = e.PaymentID
	case OrderConfirmed:
		o.status = StatusConfirmed
	case OrderCancelled:
		o.status = StatusCancelled
		o.cancelReason = e.Reason
		o.cancelDetail = e.Detail
	case OrderShipped:
		o.status = StatusShipped
	case OrderStockRejected, OrderPaymentDeclined:
		// Facts kept for the record; the OrderCancelled that follows
		// changes the status.
	default:
		return fmt.Errorf("event %d: %w: %T", re.Version, ErrUnknownEvent, re.Event)
	}
	o.version = re.Version
	o.updatedAt = re.OccurredAt
	return nil
}

// ID returns the order's identity.
func (o *Order) ID() ID { return o.id }

// CustomerID returns who placed the order.
func (o *Order) CustomerID() string { return o.customerID }

// Items returns a copy of the order's lines.
func (o *Order) Items() []Item { return append([]Item(nil), o.items...) }

// Total returns the sum of the lines.
func (o *Order) Total() Money { return o.total }

// Currency returns the currency of every amount in the order.
func (o *Order) Currency() Currency { return o.total.Currency() }

// Status returns where the order stands.
func (o *Order) Status() Status { return o.status }

// PlacedAt returns when the order was placed.
func (o *Order) PlacedAt() time.Time { return o.placedAt }

// UpdatedAt returns the time of the latest event.
func (o *Order) UpdatedAt() time.Time { return o.updatedAt }

// Version returns the version of the latest event, new ones included.
func (o *Order) Version() int { return o.version }

// PaymentID returns the captured payment's ID, empty before capture.
func (o *Order) PaymentID() string { return o.paymentID }

// CancelReason returns why the order was cancelled, with a detail.
func (o *Order) CancelReason() (CancelReason, string) { return o.cancelReason, o.cancelDetail }

// Changes returns the events recorded since the order was loaded.
func (o *Order) Changes() []RecordedEvent { return append([]RecordedEvent(nil), o.changes...) }
