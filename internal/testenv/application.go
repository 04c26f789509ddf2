package testenv

import (
	"database/sql"
	"log/slog"
	"testing"
	"time"

	"github.com/orderflow/orders/adapters/memory"
	"github.com/orderflow/orders/adapters/outbox"
	app "github.com/orderflow/orders/app/order"
	"github.com/orderflow/orders/cmd/orders/service"
)

// OrdersApplication is the order service's application on db, writing its
// events to the orders outbox (no forwarder is woken), as the API wires it.
// Ports' tests get it here, so that they import no adapter themselves.
func OrdersApplication(t testing.TB, db *sql.DB) app.Application {
	t.Helper()
	application, err := service.NewApplication(db, OutboxPublisher(t, outbox.Orders), "orders.events", service.Telemetry{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return application
}

// MemoryApplication is the order service's application on the memory
// adapters: no database, milliseconds per test. count reports how many
// orders and events it holds.
func MemoryApplication(t testing.TB) (application app.Application, count func() (orders, events int)) {
	t.Helper()
	repo := memory.NewOrderRepository()
	application, err := app.NewApplication(app.Adapters{
		Orders: repo, OrderReadModel: repo, CustomerOrders: repo, OrderEvents: repo, Now: time.Now,
	}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	return application, repo.Len
}
