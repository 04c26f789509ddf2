package order

import (
	"errors"
	"math"
)

// ErrAmountOverflow is returned when a total does not fit in int64 minor units.
var ErrAmountOverflow = errors.New("amount overflows int64 minor units")

// Currency is an ISO 4217 code the service accepts.
type Currency string

// supportedCurrencies is deliberately explicit: an unknown code is a client
// mistake, not something to pass through to payment providers.
var supportedCurrencies = map[Currency]struct{}{
	"AUD": {}, "BRL": {}, "CAD": {}, "CHF": {}, "CNY": {}, "CZK": {}, "DKK": {},
	"EUR": {}, "GBP": {}, "HKD": {}, "HUF": {}, "INR": {}, "JPY": {}, "KRW": {},
	"MXN": {}, "NOK": {}, "NZD": {}, "PLN": {}, "RON": {}, "SEK": {}, "SGD": {},
	"TRY": {}, "USD": {}, "ZAR": {},
}

// ParseCurrency returns the currency for an ISO 4217 code.
func ParseCurrency(code string) (Currency, bool) {
	c := Currency(code)
	_, ok := supportedCurrencies[c]
	return c, ok
}

// Money is an amount in the currency's minor units (cents for EUR).
// Integers, never floats: totals must add up exactly.
type Money struct {
	amount   int64
	currency Currency
}

// NewMoney returns an amount of minor units in a currency.
func NewMoney(amount int64, currency Currency) Money {
	return Money{amount: amount, currency: currency}
}

// Amount returns the value in minor units.
func (m Money) Amount() int64 { return m.amount }

// Currency returns the currency of the amount.
func (m Money) Currency() Currency { return m.currency }

// multiply returns m × n, or ErrAmountOverflow.
func (m Money) multiply(n int64) (Money, error) {
	if n != 0 && (m.amount > math.MaxInt64/n || m.amount < math.MinInt64/n) {
		return Money{}, ErrAmountOverflow
	}
	return Money{amount: m.amount * n, currency: m.currency}, nil
}

// add returns m + o, or ErrAmountOverflow. Both share one currency: the
// aggregate guarantees it.
func (m Money) add(o Money) (Money, error) {
	if (o.amount > 0 && m.amount > math.MaxInt64-o.amount) ||
		(o.amount < 0 && m.amount < math.MinInt64-o.amount) {
		return Money{}, ErrAmountOverflow
	}
	return Money{amount: m.amount + o.amount, currency: m.currency}, nil
}
