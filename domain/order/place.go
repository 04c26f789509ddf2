package order

import (
	"fmt"
	"strings"
	"time"
)

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
	switch {
	case in.CustomerID == "":
		v.add("customer_id", "must not be empty")
	case !IsIdentifier(in.CustomerID, MaxCustomerIDLength):
		v.add("customer_id", "must be at most %d printable ASCII characters without spaces", MaxCustomerIDLength)
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

	eventItems, total, err := priceItems(items, currency)
	if err != nil {
		return nil, err
	}

	o := &Order{id: id}
	o.record(now, OrderPlaced{
		CustomerID: in.CustomerID,
		Currency:   currency,
		Items:      eventItems,
		Total:      total.Amount(),
	})
	return o, nil
}

// priceItems returns the lines as carried in events, with their subtotals,
// and the order total; ErrAmountOverflow if a sum does not fit.
func priceItems(items []Item, currency Currency) ([]EventItem, Money, error) {
	out := make([]EventItem, len(items))
	total := NewMoney(0, currency)
	for i, it := range items {
		sub, err := it.Subtotal()
		if err != nil {
			return nil, Money{}, err
		}
		if total, err = total.add(sub); err != nil {
			return nil, Money{}, err
		}
		out[i] = EventItem{SKU: it.sku, Quantity: it.quantity, UnitPrice: it.unitPrice.Amount(), Subtotal: sub.Amount()}
	}
	return out, total, nil
}

func fromEventItems(items []EventItem, currency Currency) []Item {
	out := make([]Item, len(items))
	for i, it := range items {
		out[i] = Item{sku: it.SKU, quantity: it.Quantity, unitPrice: NewMoney(it.UnitPrice, currency)}
	}
	return out
}
