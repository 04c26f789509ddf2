package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/cmd/orders/service"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/internal/testenv"
)

// TestRebuiltReadModelEqualsTheLiveOne runs a mixed workload, snapshots
// the live read model, rebuilds it from the event store, and compares.
func TestRebuiltReadModelEqualsTheLiveOne(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	application, err := service.NewApplication(db, testenv.OutboxPublisher(t, outbox.Orders), "orders.events", service.Telemetry{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f := application.Commands

	const orders = 60
	for i := range orders {
		id := order.ID(uuid.NewString())
		_, err := application.Commands.PlaceOrder.Handle(ctx, command.PlaceOrder{OrderID: id, Order: order.PlaceInput{
			CustomerID: fmt.Sprintf("customer-%d", i%7), Currency: "EUR",
			Items: []order.ItemInput{{SKU: "A", Quantity: int64(i%3 + 1), UnitPrice: 250}, {SKU: fmt.Sprintf("B-%d", i), Quantity: 1, UnitPrice: int64(i)}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		total := order.NewMoney(int64(i%3+1)*250+int64(i), "EUR")
		var (
			reserve = func() error {
				return f.RecordStockReservation.Handle(ctx, command.RecordStockReservation{OrderID: id, Reserved: true})
			}
			reject = func() error {
				return f.RecordStockReservation.Handle(ctx, command.RecordStockReservation{OrderID: id, Reason: "short"})
			}
			capture = func() error {
				return f.RecordPayment.Handle(ctx, command.RecordPayment{OrderID: id, Captured: true, PaymentID: "p-" + string(id), Amount: total})
			}
			decline = func() error {
				return f.RecordPayment.Handle(ctx, command.RecordPayment{OrderID: id, Reason: "declined"})
			}
			ship = func() error {
				return application.Commands.ShipOrder.Handle(ctx, command.ShipOrder{OrderID: id})
			}
			cancel = func() error {
				return application.Commands.CancelOrder.Handle(ctx, command.CancelOrder{OrderID: id, Reason: "changed mind"})
			}
		)
		paths := [][]func() error{nil, {reserve}, {reject}, {reserve, capture}, {reserve, decline}, {reserve, capture, ship}}
		steps := paths[i%len(paths)]
		if i%12 == 7 {
			steps = append(steps, cancel)
		}
		for _, step := range steps {
			if err := step(); err != nil {
				t.Fatalf("order %d: %v", i, err)
			}
		}
	}
	live := readModelRows(t, db)

	rebuilt, err := postgres.RebuildReadModels(ctx, db)
	if err != nil {
		t.Fatal(err)
	}

	if rebuilt != orders {
		t.Errorf("rebuilt %d orders, want %d", rebuilt, orders)
	}
	if after := readModelRows(t, db); !reflect.DeepEqual(after, live) {
		t.Errorf("rebuilt read model differs from the live one:\nlive    %v\nrebuilt %v", live, after)
	}
}

// readModelRows returns every orders row as text, keyed by order ID.
func readModelRows(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT id, row_to_json(orders)::text FROM orders`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	out := map[string]string{}
	for rows.Next() {
		var id, row string
		if err := rows.Scan(&id, &row); err != nil {
			t.Fatal(err)
		}
		out[id] = row
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
