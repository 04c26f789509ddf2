// Package paymentgateway holds the payment gateway adapters. The one in
// this repository is Simulated: a stand-in for a card provider with a
// deterministic decline rule, so that every run of the saga has the same
// outcomes.
package paymentgateway

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"

	app "github.com/orderflow/orders/app/payment"
)

// DefaultDeclineAbove is the default limit of Simulated: 1000.00 in a
// currency with two decimals.
const DefaultDeclineAbove = 100_000

// Simulated is a payment gateway that declines every charge above a limit
// (DeclineAbove minor units, whatever the currency) and captures every
// other one. It keeps what a real provider keeps on its side, a ledger of
// charges and refunds keyed by the caller's idempotency key, in the table
// payment_gateway_ledger, written on its own connection (never inside the
// caller's transaction, as a remote provider could not be): a repeated key
// returns the first outcome and moves no money again.
type Simulated struct {
	db           *sql.DB
	declineAbove int64
}

var _ app.Gateway = (*Simulated)(nil)

// NewSimulated returns the simulated gateway with its decline limit.
func NewSimulated(db *sql.DB, declineAbove int64) (*Simulated, error) {
	if db == nil {
		return nil, errors.New("simulated gateway needs a database for its ledger")
	}
	if declineAbove < 0 {
		return nil, errors.New("decline limit must not be negative")
	}
	return &Simulated{db: db, declineAbove: declineAbove}, nil
}

// Charge captures the amount unless it is above the limit.
func (s *Simulated) Charge(ctx context.Context, c app.Charge) (app.ChargeResult, error) {
	outcome, paymentID, reason := "captured", "pay_"+uuid.NewString(), ""
	if c.Amount > s.declineAbove {
		outcome, paymentID = "declined", ""
		reason = fmt.Sprintf("amount %d %s is above the card limit of %d", c.Amount, c.Currency, s.declineAbove)
	}
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO payment_gateway_ledger (idempotency_key, kind, order_id, amount, currency, outcome, payment_id, reason)
		VALUES ($1, 'charge', $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING`,
		c.IdempotencyKey, c.OrderID, c.Amount, c.Currency, outcome, paymentID, reason)
	if err != nil {
		return app.ChargeResult{}, fmt.Errorf("gateway charge: %w", err)
	}
	// The first call's outcome, whichever call that was.
	err = s.db.QueryRowContext(ctx, `SELECT outcome, payment_id, reason FROM payment_gateway_ledger WHERE idempotency_key = $1 AND kind = 'charge'`,
		c.IdempotencyKey).Scan(&outcome, &paymentID, &reason)
	if err != nil {
		return app.ChargeResult{}, fmt.Errorf("gateway charge: %w", err)
	}
	return app.ChargeResult{Captured: outcome == "captured", PaymentID: paymentID, DeclineReason: reason}, nil
}

// Refund gives a captured amount back.
func (s *Simulated) Refund(ctx context.Context, r app.Refund) (app.RefundResult, error) {
	refundID := "ref_" + uuid.NewString()
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO payment_gateway_ledger (idempotency_key, kind, order_id, amount, currency, outcome, payment_id, refund_id)
		VALUES ($1, 'refund', $2, $3, $4, 'refunded', $5, $6) ON CONFLICT (idempotency_key) DO NOTHING`,
		r.IdempotencyKey, r.OrderID, r.Amount, r.Currency, r.PaymentID, refundID)
	if err != nil {
		return app.RefundResult{}, fmt.Errorf("gateway refund: %w", err)
	}
	err = s.db.QueryRowContext(ctx, `SELECT refund_id FROM payment_gateway_ledger WHERE idempotency_key = $1 AND kind = 'refund'`,
		r.IdempotencyKey).Scan(&refundID)
	if err != nil {
		return app.RefundResult{}, fmt.Errorf("gateway refund: %w", err)
	}
	return app.RefundResult{RefundID: refundID}, nil
}
