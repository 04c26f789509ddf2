package inventorystore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/app/inventory/command"
	"github.com/orderflow/orders/app/inventory/query"
	domain "github.com/orderflow/orders/domain/inventory"
	"github.com/orderflow/orders/internal/testenv"
)

// TestABatchOfReservationsWritesOnceForAll reserves six orders over
// overlapping SKUs in one batch: each stock row is locked once, and the
// inbox records, the reservations, the stock levels and the outbox
// messages are each one statement for the whole batch. A second batch with
// a message already recorded fails as it commits and writes nothing.
func TestABatchOfReservationsWritesOnceForAll(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.DBWithURL(t)
	log := testenv.NewStatementLog(t, dbURL)
	a, pub := newAppAndOutbox(t, log.DB)
	ctx := context.Background()
	for _, sku := range []string{"A", "B", "C"} {
		if err := a.Commands.SetStock.Handle(ctx, command.SetStock{SKU: sku, OnHand: 100}); err != nil {
			t.Fatal(err)
		}
	}
	type reservation struct {
		key   inbox.Key
		order string
		lines []domain.Line
	}
	var reservations []reservation
	for _, skus := range [][]string{{"A", "B"}, {"B"}, {"C", "A"}, {"A"}, {"C"}, {"B", "C"}} {
		order := uuid.NewString()
		r := reservation{order: order, key: inbox.Key{Consumer: "inventory", MessageID: uuid.NewString(), OrderKey: order, Order: order, Version: 1}}
		for _, sku := range skus {
			r.lines = append(r.lines, domain.Line{SKU: sku, Quantity: 2})
		}
		reservations = append(reservations, r)
	}
	batch := func(rs []reservation) error {
		b, err := pgtx.Begin(ctx, log.DB, nil, func(uow *pgtx.UnitOfWork) error { return pub.AnnounceAll(ctx, uow) })
		if err != nil {
			return err
		}
		for _, r := range rs {
			status, err := a.Commands.ReserveStock.Handle(b.Join(ctx, nil, nil), command.ReserveStock{Message: r.key, OrderID: r.order, Lines: r.lines})
			if err != nil || status != domain.StatusHeld {
				return errors.Join(err, b.Rollback())
			}
		}
		return b.Commit()
	}

	log.Take()
	if err := batch(reservations); err != nil {
		t.Fatalf("batch: %v", err)
	}
	sent, transactions := log.Take()
	counts := map[string]int{}
	for _, s := range sent {
		for _, kind := range []string{"INSERT INTO inventory_inbox", "INSERT INTO inventory_reservations", "INSERT INTO inventory_stock", "FOR UPDATE", "INSERT INTO \"watermill_inventory_outbox"} {
			if strings.Contains(s.Query, kind) {
				counts[kind]++
			}
		}
	}
	t.Logf("%d statements in %d transactions: %v", len(sent), transactions, counts)
	if transactions != 1 {
		t.Errorf("transactions: %d, want 1", transactions)
	}
	for kind, want := range map[string]int{
		"INSERT INTO inventory_inbox": 1, "INSERT INTO inventory_reservations": 1, "INSERT INTO inventory_stock": 1,
		"INSERT INTO \"watermill_inventory_outbox": 1, "FOR UPDATE": 2, // {A, B} then {C}
	} {
		if counts[kind] != want {
			t.Errorf("%q: %d statements, want %d", kind, counts[kind], want)
		}
	}
	for sku, want := range map[string]int64{"A": 6, "B": 6, "C": 6} {
		l, err := a.Queries.GetStockLevel.Handle(ctx, query.GetStockLevel{SKU: sku})
		if err != nil || l.Reserved != want {
			t.Errorf("stock of %s: %+v, %v; want %d reserved", sku, l, err, want)
		}
	}
	if n := outboxCount(t, log.DB); n != len(reservations) {
		t.Errorf("outbox messages: %d, want %d", n, len(reservations))
	}

	again := []reservation{reservations[0]}
	again[0].order = uuid.NewString() // a new order, but a message already recorded
	if err := batch(again); err == nil {
		t.Fatal("a batch with a message recorded before committed")
	}
	if l, err := a.Queries.GetStockLevel.Handle(ctx, query.GetStockLevel{SKU: "A"}); err != nil || l.Reserved != 6 {
		t.Errorf("stock of A after the failed batch: %+v, %v; want 6 reserved", l, err)
	}
}
