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

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/payment/command"
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
// returns the first outcome and moves no money again. Each call is one
// prepared statement (see firstEntry).
type Simulated struct {
	stmts        *pgtx.Statements
	declineAbove int64
}

var _ command.Gateway = (*Simulated)(nil)

// NewSimulated returns the simulated gateway with its decline limit.
func NewSimulated(db *sql.DB, declineAbove int64) (*Simulated, error) {
	if db == nil {
		return nil, errors.New("simulated gateway needs a database for its ledger")
	}
	if declineAbove < 0 {
		return nil, errors.New("decline limit must not be negative")
	}
	stmts, err := pgtx.NewStatements(db)
	if err != nil {
		return nil, err
	}
	return &Simulated{stmts: stmts, declineAbove: declineAbove}, nil
}

// firstEntry makes a ledger insert return the key's first entry in the
// same statement: the new one when the key is new, else the one already
// there, so that a call is one stand-alone statement and not an insert
// and a read. ON CONFLICT DO NOTHING would return no row for an existing
// key; DO UPDATE waits for a concurrent first call's writer, locks its row
// and returns it as committed, changing nothing. An entry of the other
// kind under the key returns no row (sql.ErrNoRows), as the read by key
// and kind did.
func firstEntry(kind string) string {
	return ` ON CONFLICT (idempotency_key) DO UPDATE SET kind = payment_gateway_ledger.kind
		WHERE payment_gateway_ledger.kind = '` + kind + `'`
}

// Charge captures the amount unless it is above the limit.
func (s *Simulated) Charge(ctx context.Context, c command.Charge) (command.ChargeResult, error) {
	outcome, paymentID, reason := "captured", "pay_"+uuid.NewString(), ""
	if c.Amount > s.declineAbove {
		outcome, paymentID = "declined", ""
		reason = fmt.Sprintf("amount %d %s is above the card limit of %d", c.Amount, c.Currency, s.declineAbove)
	}
	err := s.stmts.QueryRowContext(ctx, `
		INSERT INTO payment_gateway_ledger (idempotency_key, kind, order_id, amount, currency, outcome, payment_id, reason)
		VALUES ($1, 'charge', $2, $3, $4, $5, $6, $7)`+firstEntry("charge")+` RETURNING outcome, payment_id, reason`,
		c.IdempotencyKey, c.OrderID, c.Amount, c.Currency, outcome, paymentID, reason).Scan(&outcome, &paymentID, &reason)
	if err != nil {
		return command.ChargeResult{}, fmt.Errorf("gateway charge: %w", err)
	}
	return command.ChargeResult{Captured: outcome == "captured", PaymentID: paymentID, DeclineReason: reason}, nil
}

// Refund gives a captured amount back.
func (s *Simulated) Refund(ctx context.Context, r command.Refund) (command.RefundResult, error) {
	refundID := "ref_" + uuid.NewString()
	err := s.stmts.QueryRowContext(ctx, `
		INSERT INTO payment_gateway_ledger (idempotency_key, kind, order_id, amount, currency, outcome, payment_id, refund_id)
		VALUES ($1, 'refund', $2, $3, $4, 'refunded', $5, $6)`+firstEntry("refund")+` RETURNING refund_id`,
		r.IdempotencyKey, r.OrderID, r.Amount, r.Currency, r.PaymentID, refundID).Scan(&refundID)
	if err != nil {
		return command.RefundResult{}, fmt.Errorf("gateway refund: %w", err)
	}
	return command.RefundResult{RefundID: refundID}, nil
}
