package paymentstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/inbox"
	domain "github.com/orderflow/orders/domain/payment"
	"github.com/orderflow/orders/internal/testenv"
)

// TestABatchOfOpenedPaymentsWritesOnceForAll opens four payments in one
// batch: the inbox records and the payments are one statement each. A
// batch that opens a payment an order has already fails as it commits and
// writes nothing.
func TestABatchOfOpenedPaymentsWritesOnceForAll(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	log := testenv.NewStatementLog(t, dbURL)
	repo := newRepository(t, log.DB)
	ctx := context.Background()
	open := func(orders ...string) error {
		b, err := pgtx.Begin(ctx, log.DB, nil)
		if err != nil {
			return err
		}
		for _, order := range orders {
			key := inbox.Key{Consumer: "payment", MessageID: uuid.NewString(), OrderKey: order, Order: order, Version: 1}
			p, err := domain.Open(order, 100, "EUR")
			if err == nil {
				err = repo.Add(b.Join(ctx, nil, nil), key, p)
			}
			if err != nil {
				return errors.Join(err, b.Rollback())
			}
		}
		return b.Commit()
	}
	orders := []string{uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()}

	log.Take()
	if err := open(orders...); err != nil {
		t.Fatalf("batch: %v", err)
	}
	sent, _ := log.Take()
	inboxInserts, paymentInserts := 0, 0
	for _, s := range sent {
		inboxInserts += strings.Count(s.Query, "INSERT INTO payment_inbox")
		paymentInserts += strings.Count(s.Query, "INSERT INTO payments")
	}
	if inboxInserts != 1 || paymentInserts != 1 {
		t.Errorf("%d inbox and %d payment inserts for a batch of %d, want one each", inboxInserts, paymentInserts, len(orders))
	}
	if err := open(uuid.NewString(), orders[0]); err == nil {
		t.Fatal("a batch that opened a second payment of an order committed")
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM payments`).Scan(&n); err != nil || n != len(orders) {
		t.Errorf("payments: %d, %v; want %d", n, err, len(orders))
	}
}
