package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	inventorycommand "github.com/orderflow/orders/app/inventory/command"
	"github.com/orderflow/orders/cmd/orders/service"
	"github.com/orderflow/orders/internal/testenv"
)

// TestASecondDifferentEventOfAnOrdersVersionIsParked delivers two
// different OrderPlaced events of one order, both version 1, as the order
// service writes after a failover to a standby that lacked its tail: the
// inventory applies the first and parks the second with its reason; its
// stock is reserved once.
func TestASecondDifferentEventOfAnOrdersVersionIsParked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inv := newBatchInventory(t)
	if err := inv.app.Commands.SetStock.Handle(ctx, inventorycommand.SetStock{SKU: "BOOK", OnHand: 100}); err != nil {
		t.Fatal(err)
	}
	order := uuid.NewString()
	first, forked := placedOf(t, order, 1), placedOf(t, order, 3)
	testenv.PublishToKafka(t, inv.brokers, inv.topic, first, forked)

	inv.runConsumer(t, "inventory", service.ConsumerConfig{})

	testenv.WaitFor(t, 60*time.Second, "the forked event parked", func() (bool, string) {
		parked := count(t, inv.db, `SELECT count(*) FROM inventory_parked_messages WHERE message_id = $1 AND reason LIKE '%same order and version%'`, forked.UUID)
		return parked == 1, fmt.Sprintf("%d parked", parked)
	})
	if got := count(t, inv.db, `SELECT reserved FROM inventory_stock WHERE sku = 'BOOK'`); got != 1 {
		t.Errorf("reserved stock: %d, want 1 (the first event's, once)", got)
	}
}
