package service_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/cmd/orders/service"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/internal/testenv"
)

// TestConcurrentCommandsOnOneOrderLoseNoUpdate has 50 goroutines issue a
// random mix of commands on one order at once. However the races fall, the
// stream must have contiguous versions and hold exactly the events of the
// commands that reported success: none lost, none doubled.
func TestConcurrentCommandsOnOneOrderLoseNoUpdate(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	application, err := service.NewApplication(db, testenv.OutboxPublisher(t, outbox.Orders), "orders.events", service.Telemetry{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	placed, err := application.Commands.PlaceOrder.Handle(ctx, command.PlaceOrder{
		OrderID: "8d1f6a52-3c1b-4f6e-9f0a-5f0e8f1b2c3d",
		Order:   order.PlaceInput{CustomerID: "c", Currency: "EUR", Items: []order.ItemInput{{SKU: "A", Quantity: 1, UnitPrice: 700}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := placed.OrderID

	type cmd struct {
		name   string
		events int // events the command records when it succeeds
		run    func() error
	}
	f := application.Commands
	cmds := []cmd{
		{"reserve", 1, func() error {
			return f.RecordStockReservation.Handle(ctx, command.RecordStockReservation{OrderID: id, Reserved: true})
		}},
		{"reject", 2, func() error {
			return f.RecordStockReservation.Handle(ctx, command.RecordStockReservation{OrderID: id, Reason: "short"})
		}},
		{"capture", 2, func() error {
			return f.RecordPayment.Handle(ctx, command.RecordPayment{OrderID: id, Captured: true, PaymentID: "p", Amount: order.NewMoney(700, "EUR")})
		}},
		{"decline", 2, func() error { return f.RecordPayment.Handle(ctx, command.RecordPayment{OrderID: id, Reason: "no"}) }},
		{"cancel", 1, func() error { return application.Commands.CancelOrder.Handle(ctx, command.CancelOrder{OrderID: id}) }},
		{"ship", 1, func() error { return application.Commands.ShipOrder.Handle(ctx, command.ShipOrder{OrderID: id}) }},
	}

	// Mostly the commands of the happy path, so the stream grows long and
	// every version is contested; a few that end the order early.
	weights := map[string]int{"reserve": 14, "capture": 14, "ship": 14, "cancel": 3, "reject": 2, "decline": 3}
	var weighted []cmd
	for _, c := range cmds {
		for range weights[c.name] {
			weighted = append(weighted, c)
		}
	}

	const goroutines = 50
	var (
		start     = make(chan struct{})
		wg        sync.WaitGroup
		mu        sync.Mutex
		succeeded = map[string]int{}
		expected  = 1 // OrderPlaced
	)
	for range goroutines {
		c := weighted[rand.IntN(len(weighted))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := c.run()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				succeeded[c.name]++
				expected += c.events
			case errors.Is(err, order.ErrIllegalTransition), errors.Is(err, command.ErrConcurrentUpdate):
				// refused on the state it found, or out of retries
			default:
				t.Errorf("%s: %v", c.name, err)
			}
		}()
	}
	close(start)
	wg.Wait()

	rows, err := db.QueryContext(ctx, `SELECT version FROM order_events WHERE stream_id = $1 ORDER BY version`, string(id))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	versions := 0
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions++
		if v != versions {
			t.Fatalf("version %d follows %d: a gap", v, versions-1)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if versions != expected {
		t.Errorf("stream holds %d events; the successful commands %v recorded %d", versions, succeeded, expected)
	}
	t.Logf("successful commands: %v; stream length %d", succeeded, versions)
}
