package inventorystore_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/app/inventory/command"
	"github.com/orderflow/orders/app/inventory/query"
	domain "github.com/orderflow/orders/domain/inventory"
	"github.com/orderflow/orders/internal/testenv"
)

// TestTheInventoryRunsItsStatementsPrepared: once warmed up, stock set,
// reserved, released and committed, and its level read, send no statement
// with arguments unprepared (each would cost a second round trip).
func TestTheInventoryRunsItsStatementsPrepared(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.DBWithURL(t)
	log := testenv.NewStatementLog(t, dbURL)
	a := newApp(t, log.DB)
	ctx := context.Background()
	key := func() inbox.Key { return inbox.Key{Consumer: "inventory", MessageID: uuid.NewString()} }
	log.RunsPrepared(t, func() {
		sku := "SKU-" + uuid.NewString()[:8]
		if err := a.Commands.SetStock.Handle(ctx, command.SetStock{SKU: sku, OnHand: 10}); err != nil {
			t.Fatal(err)
		}
		released, committed := uuid.NewString(), uuid.NewString()
		for _, order := range []string{released, committed} {
			if _, err := a.Commands.ReserveStock.Handle(ctx, command.ReserveStock{Message: key(), OrderID: order, Lines: []domain.Line{{SKU: sku, Quantity: 2}}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := a.Commands.ReleaseStock.Handle(ctx, command.ReleaseStock{Message: key(), OrderID: released}); err != nil {
			t.Fatal(err)
		}
		if err := a.Commands.CommitStock.Handle(ctx, command.CommitStock{Message: key(), OrderID: committed}); err != nil {
			t.Fatal(err)
		}
		if l, err := a.Queries.GetStockLevel.Handle(ctx, query.GetStockLevel{SKU: sku}); err != nil || l.OnHand != 8 || l.Reserved != 0 {
			t.Fatalf("stock level = %+v, %v; want 8 on hand, none reserved", l, err)
		}
	})
}
