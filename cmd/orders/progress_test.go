package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/cmd/orders/service"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/internal/testenv"
)

// TestLongAdminCommandsLogTheirProgress runs rebuild-read-models, outbox
// repair and outbox reshard as processes whose stderr is a pipe, not a
// terminal: each logs its progress as JSON lines with the count and the
// total, from the start (0 of the total) to the end (all of it).
func TestLongAdminCommandsLogTheirProgress(t *testing.T) {
	t.Parallel()
	const orders = 7
	db, dbURL := testenv.DBWithURL(t)
	application, err := service.NewApplication(db, testenv.OutboxPublisher(t, outbox.Orders), "orders.events", service.Telemetry{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range orders {
		_, err := application.Commands.PlaceOrder.Handle(context.Background(), command.PlaceOrder{
			OrderID: order.ID(uuid.NewString()),
			Order: order.PlaceInput{CustomerID: fmt.Sprintf("c-%d", i), Currency: "EUR",
				Items: []order.ItemInput{{SKU: "A", Quantity: 1, UnitPrice: 100}}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	_, drainedURL := testenv.DBWithURL(t) // nothing written: reshard accepts it

	cases := []struct {
		task  string
		url   string
		args  []string
		total float64
	}{
		{"rebuild-read-models", dbURL, []string{"rebuild-read-models"}, orders},
		{"outbox repair", dbURL, []string{"outbox", "-outbox", "orders", "repair"}, float64(outbox.Orders.Shards)},
		// The old shards checked and the new ones created.
		{"outbox reshard", drainedURL, []string{"outbox", "reshard", "-shards", "3"}, float64(outbox.Orders.Shards + 3)},
	}
	for _, c := range cases {
		out, code := runOrders(t, []string{"DATABASE_URL=" + c.url, "LOG_FORMAT=json", "LOG_LEVEL=info"}, c.args...)
		if code != 0 {
			t.Errorf("orders %s: exit %d\n%s", strings.Join(c.args, " "), code, out)
			continue
		}
		started, finished := progressLine(out, c.task+" progress"), progressLine(out, c.task+" finished")
		if started == nil || started["done"] != 0.0 || started["total"] != c.total {
			t.Errorf("orders %s: want a first progress line of 0/%v, got %v in\n%s", strings.Join(c.args, " "), c.total, started, out)
		}
		if finished == nil || finished["done"] != c.total || finished["total"] != c.total {
			t.Errorf("orders %s: want a finished line of %v/%v, got %v in\n%s", strings.Join(c.args, " "), c.total, c.total, finished, out)
		}
	}
}

// progressLine returns the first JSON log line of out with message msg.
func progressLine(out, msg string) map[string]any {
	for line := range strings.SplitSeq(out, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			return m
		}
	}
	return nil
}
