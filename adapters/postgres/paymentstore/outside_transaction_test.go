package paymentstore_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/google/uuid"

	"github.com/orderflow/orders/app/payment/command"
	domain "github.com/orderflow/orders/domain/payment"
	"github.com/orderflow/orders/internal/testenv"
)

// probingGateway looks at the payment from a connection of its own each
// time it is called: the intent must be committed, and no transaction may
// hold the payment's row.
type probingGateway struct {
	command.Gateway
	t  *testing.T
	db *sql.DB
}

func (g probingGateway) probe(ctx context.Context, orderID string, want domain.Status) {
	g.t.Helper()
	tx, err := g.db.BeginTx(ctx, nil)
	if err != nil {
		g.t.Error(err)
		return
	}
	defer func() { _ = tx.Rollback() }()
	var status domain.Status
	// NOWAIT fails at once if another transaction holds the row.
	if err := tx.QueryRowContext(ctx, `SELECT status FROM payments WHERE order_id = $1 FOR UPDATE NOWAIT`, orderID).Scan(&status); err != nil {
		g.t.Errorf("gateway called while the payment is locked: %v", err)
		return
	}
	if status != want {
		g.t.Errorf("gateway called with the payment %s as committed, want %s", status, want)
	}
}

func (g probingGateway) Charge(ctx context.Context, c command.Charge) (command.ChargeResult, error) {
	g.probe(ctx, c.OrderID, domain.StatusCharging)
	return g.Gateway.Charge(ctx, c)
}

func (g probingGateway) Refund(ctx context.Context, r command.Refund) (command.RefundResult, error) {
	g.probe(ctx, r.OrderID, domain.StatusRefunding)
	return g.Gateway.Refund(ctx, r)
}

func TestTheGatewayIsCalledOutsideThePaymentsTransaction(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	a := newAppWrapping(t, db, func(r command.Repository, g command.Gateway) (command.Repository, command.Gateway) {
		return r, probingGateway{Gateway: g, t: t, db: db}
	})
	orderID := uuid.NewString()
	if status, err := chargeDelivery(a, orderID, 2598)(); err != nil || status != domain.StatusCaptured {
		t.Fatalf("charge: %s, %v", status, err)
	}
	if status, err := cancelDelivery(a, orderID)(); err != nil || status != domain.StatusRefunded {
		t.Fatalf("cancel: %s, %v", status, err)
	}
	if charges, refunds := ledger(t, db, orderID); charges != 1 || refunds != 1 {
		t.Errorf("gateway ledger: %d charges, %d refunds; want 1 and 1", charges, refunds)
	}
}
