// Package inventory holds the inventory's domain: the stock of each SKU
// and the reservations that hold stock for orders. It never oversells: a
// reservation takes every line or none, and units on hand never fall below
// the units reserved.
package inventory

import (
	"fmt"
	"strings"
)

// Limits on stock levels and SKUs.
const (
	MaxSKULength = 64
	MaxOnHand    = 1_000_000_000
)

// Item is the stock of one SKU: the units on hand in the warehouse and,
// among them, the units reserved for orders not yet shipped. Invariant:
// 0 <= reserved <= onHand.
type Item struct {
	sku      string
	onHand   int64
	reserved int64
}

// NewItem returns the stock of a SKU as stored; it refuses levels that
// break the invariant.
func NewItem(sku string, onHand, reserved int64) (*Item, error) {
	var v validation
	validSKU(sku, "sku", &v)
	if onHand < 0 || onHand > MaxOnHand {
		v.add("on_hand", "must be between 0 and %d", MaxOnHand)
	}
	if reserved < 0 || reserved > onHand {
		v.add("reserved", "must be between 0 and on_hand (%d)", onHand)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return &Item{sku: sku, onHand: onHand, reserved: reserved}, nil
}

// NoStock returns a SKU that has never been stocked.
func NoStock(sku string) *Item { return &Item{sku: sku} }

// validSKU holds a SKU to the rule of the order service's SKUs (1 to 64
// printable ASCII characters, no spaces): a SKU no order can name is of no
// use, and text such as NUL or invalid UTF-8 cannot be stored at all.
func validSKU(sku, field string, v *validation) {
	switch {
	case sku == "":
		v.add(field, "must not be empty")
	case len(sku) > MaxSKULength:
		v.add(field, "must be at most %d characters", MaxSKULength)
	case strings.IndexFunc(sku, func(r rune) bool { return r < '!' || r > '~' }) >= 0:
		v.add(field, "must be printable ASCII characters without spaces")
	}
}

// ValidSKU reports whether sku can name stock.
func ValidSKU(sku string) bool {
	var v validation
	validSKU(sku, "sku", &v)
	return v.err() == nil
}

// SKU returns the stock keeping unit.
func (i *Item) SKU() string { return i.sku }

// OnHand returns the units in the warehouse, reserved ones included.
func (i *Item) OnHand() int64 { return i.onHand }

// Reserved returns the units held for orders.
func (i *Item) Reserved() int64 { return i.reserved }

// Available returns the units that a new reservation can take.
func (i *Item) Available() int64 { return i.onHand - i.reserved }

// SetOnHand records a stock count by an operator. It cannot go below the
// reserved units: they are promised to orders.
func (i *Item) SetOnHand(n int64) error {
	if n < 0 || n > MaxOnHand {
		return &ValidationError{Fields: []FieldError{{Field: "on_hand", Problem: fmt.Sprintf("must be between 0 and %d", MaxOnHand)}}}
	}
	if n < i.reserved {
		return &BelowReservedError{SKU: i.sku, OnHand: n, Reserved: i.reserved}
	}
	i.onHand = n
	return nil
}

// BelowReservedError is an ErrBelowReserved with its numbers.
type BelowReservedError struct {
	SKU      string
	OnHand   int64
	Reserved int64
}

func (e *BelowReservedError) Error() string {
	return fmt.Sprintf("SKU %s: %d units are reserved for orders; on_hand cannot be set to %d", e.SKU, e.Reserved, e.OnHand)
}

// Is makes errors.Is(err, ErrBelowReserved) true.
func (e *BelowReservedError) Is(target error) bool { return target == ErrBelowReserved }

func (i *Item) hold(q int64)    { i.reserved += q }
func (i *Item) release(q int64) { i.reserved -= q }
func (i *Item) ship(q int64)    { i.reserved -= q; i.onHand -= q }
