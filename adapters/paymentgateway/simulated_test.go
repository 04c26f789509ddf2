package paymentgateway_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/paymentgateway"
	"github.com/orderflow/orders/app/payment/command"
	"github.com/orderflow/orders/internal/testenv"
)

func newGateway(t *testing.T, db *sql.DB) *paymentgateway.Simulated {
	t.Helper()
	g, err := paymentgateway.NewSimulated(db, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestACallIsOneStatementOutsideAnyTransaction: a charge and a refund,
// new or repeated, each cost the ledger one statement of its own, no
// transaction around it, and prepared once warmed up.
func TestACallIsOneStatementOutsideAnyTransaction(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.DBWithURL(t)
	log := testenv.NewStatementLog(t, dbURL)
	g := newGateway(t, log.DB)
	ctx := context.Background()
	calls := func(orderID string) {
		charge := command.Charge{IdempotencyKey: command.ChargeKey(orderID), OrderID: orderID, Amount: 500, Currency: "EUR"}
		refund := command.Refund{IdempotencyKey: command.RefundKey(orderID), OrderID: orderID, Amount: 500, Currency: "EUR", PaymentID: "p"}
		for range 2 { // new, then repeated
			log.Take()
			if _, err := g.Charge(ctx, charge); err != nil {
				t.Fatal(err)
			}
			checkOneStatement(t, log, "charge")
			if _, err := g.Refund(ctx, refund); err != nil {
				t.Fatal(err)
			}
			checkOneStatement(t, log, "refund")
		}
	}
	calls(uuid.NewString())
	log.RunsPrepared(t, func() { calls(uuid.NewString()) })
}

func checkOneStatement(t *testing.T, log *testenv.StatementLog, call string) {
	t.Helper()
	sent, txs := log.Take()
	// Preparing a statement on a connection is a round trip of its own,
	// not an execution: only executions are logged.
	if len(sent) != 1 || txs != 0 || sent[0].InTx {
		t.Fatalf("%s: %d statement(s) in %d transaction(s), want one statement on its own: %+v", call, len(sent), txs, sent)
	}
}

// TestARepeatedKeyReturnsTheFirstOutcome: calls with one key, repeated and
// concurrent, return the first call's outcome and write one ledger entry,
// even when a later call would have had another outcome; a key of the
// other kind is refused.
func TestARepeatedKeyReturnsTheFirstOutcome(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	g := newGateway(t, db)
	ctx := context.Background()

	declined := uuid.NewString()
	first, err := g.Charge(ctx, command.Charge{IdempotencyKey: command.ChargeKey(declined), OrderID: declined, Amount: 200_000, Currency: "EUR"})
	if err != nil || first.Captured || first.DeclineReason == "" {
		t.Fatalf("charge above the limit: %+v, %v; want declined with a reason", first, err)
	}
	again, err := g.Charge(ctx, command.Charge{IdempotencyKey: command.ChargeKey(declined), OrderID: declined, Amount: 10, Currency: "EUR"})
	if err != nil || again != first {
		t.Errorf("the same key with an amount within the limit: %+v, %v; want the first outcome %+v", again, err, first)
	}

	captured := uuid.NewString()
	const callers = 8
	results := make([]command.ChargeResult, callers)
	refunds := make([]command.RefundResult, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			var err error
			results[i], err = g.Charge(ctx, command.Charge{IdempotencyKey: command.ChargeKey(captured), OrderID: captured, Amount: 700, Currency: "EUR"})
			if err != nil {
				t.Error(err)
			}
			refunds[i], err = g.Refund(ctx, command.Refund{IdempotencyKey: command.RefundKey(captured), OrderID: captured, Amount: 700, Currency: "EUR", PaymentID: results[i].PaymentID})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range callers {
		if !results[i].Captured || results[i].PaymentID == "" || results[i] != results[0] || refunds[i].RefundID == "" || refunds[i] != refunds[0] {
			t.Errorf("caller %d: %+v and %+v; want caller 0's capture %+v and refund %+v", i, results[i], refunds[i], results[0], refunds[0])
		}
	}

	var charges, refunded int
	err = db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE kind = 'charge'), count(*) FILTER (WHERE kind = 'refund')
		FROM payment_gateway_ledger WHERE order_id = $1`, captured).Scan(&charges, &refunded)
	if err != nil || charges != 1 || refunded != 1 {
		t.Errorf("ledger of %s: %d charges, %d refunds (%v); want one of each", captured, charges, refunded, err)
	}

	// A refund under a charge's key moves nothing and answers nothing.
	_, err = g.Refund(ctx, command.Refund{IdempotencyKey: command.ChargeKey(captured), OrderID: captured, Amount: 700, Currency: "EUR", PaymentID: results[0].PaymentID})
	if !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("refund under a charge's key: err = %v, want sql.ErrNoRows", err)
	}
}
