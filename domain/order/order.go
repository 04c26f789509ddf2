// Package order holds the Order aggregate: its state is the fold of its
// events, and its behaviour methods check invariants before recording new ones.
package order

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
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

	version int // version of the last applied event, new ones included
	changes []RecordedEvent
}

// PlaceInput is what a customer sends to place an order.
type PlaceInput struct {
	CustomerID string
	Currency   string
	Items      []ItemInput
}

// Place validates a new order and records OrderPlaced.
func Place(id ID, in PlaceInput, now time.Time) (*Order, error) {
	var v validation
	if strings.TrimSpace(string(id)) == "" {
		v.add("id", "must not be empty")
	}
	switch n := utf8.RuneCountInString(in.CustomerID); {
	case strings.TrimSpace(in.CustomerID) == "":
		v.add("customer_id", "must not be empty")
	case n > MaxCustomerIDLength:
		v.add("customer_id", "must be at most %d characters", MaxCustomerIDLength)
	}
	currency, ok := ParseCurrency(in.Currency)
	if !ok {
		v.add("currency", "%q is not a supported ISO 4217 currency code", in.Currency)
	}
	switch {
	case len(in.Items) == 0:
		v.add("items", "must contain at least one item")
	case len(in.Items) > MaxOrderLines:
		v.add("items", "must contain at most %d items", MaxOrderLines)
	}
	items := make([]Item, len(in.Items))
	for i, it := range in.Items {
		items[i] = newItem(it, currency, fmt.Sprintf("items[%d]", i), &v)
	}
	if err := v.err(); err != nil {
		return nil, err
	}

	total, err := sumItems(items, currency)
	if err != nil {
		return nil, err
	}

	o := &Order{id: id}
	o.record(now, OrderPlaced{
		CustomerID: in.CustomerID,
		Currency:   currency,
		Items:      toEventItems(items),
		Total:      total.Amount(),
	})
	return o, nil
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
		o.apply(e)
	}
	return o, nil
}

// record applies a new event and keeps it to be stored.
func (o *Order) record(now time.Time, e Event) {
	re := RecordedEvent{Version: o.version + 1, OccurredAt: now.UTC(), Event: e}
	o.apply(re)
	o.changes = append(o.changes, re)
}

// apply is the only place where state changes, for new and stored events alike.
func (o *Order) apply(re RecordedEvent) {
	switch e := re.Event.(type) {
	case OrderPlaced:
		o.customerID = e.CustomerID
		o.items = fromEventItems(e.Items, e.Currency)
		o.total = NewMoney(e.Total, e.Currency)
		o.status = StatusPlaced
		o.placedAt = re.OccurredAt
	}
	o.version = re.Version
	o.updatedAt = re.OccurredAt
}

func sumItems(items []Item, currency Currency) (Money, error) {
	total := NewMoney(0, currency)
	for _, it := range items {
		sub, err := it.Subtotal()
		if err != nil {
			return Money{}, err
		}
		if total, err = total.add(sub); err != nil {
			return Money{}, err
		}
	}
	return total, nil
}

func toEventItems(items []Item) []EventItem {
	out := make([]EventItem, len(items))
	for i, it := range items {
		out[i] = EventItem{SKU: it.sku, Quantity: it.quantity, UnitPrice: it.unitPrice.Amount()}
	}
	return out
}

func fromEventItems(items []EventItem, currency Currency) []Item {
	out := make([]Item, len(items))
	for i, it := range items {
		out[i] = Item{sku: it.SKU, quantity: it.Quantity, unitPrice: NewMoney(it.UnitPrice, currency)}
	}
	return out
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

// Changes returns the events recorded since the order was loaded.
func (o *Order) Changes() []RecordedEvent { return append([]RecordedEvent(nil), o.changes...) }

// LoadedVersion is the version the order had in the store when loaded
// (0 for a new order): the expected version of an append.
func (o *Order) LoadedVersion() int { return o.version - len(o.changes) }
