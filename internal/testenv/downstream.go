package testenv

import (
	"database/sql"
	"log/slog"
	"testing"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/paymentgateway"
	inventoryapp "github.com/orderflow/orders/app/inventory"
	paymentapp "github.com/orderflow/orders/app/payment"
	"github.com/orderflow/orders/cmd/orders/service"
)

// InventoryApplication is the inventory's application on db, writing its
// events to the inventory outbox (no forwarder is woken), as the service wires
// it: for the inventory API's tests.
func InventoryApplication(t testing.TB, db *sql.DB) inventoryapp.Application {
	t.Helper()
	application, err := service.NewInventoryApplication(db, OutboxPublisher(t, outbox.Inventory), "inventory.events",
		service.Telemetry{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return application
}

// PaymentApplication is the payment service's application on db with the
// simulated gateway, as the service wires it: for the payment API's tests.
func PaymentApplication(t testing.TB, db *sql.DB) paymentapp.Application {
	t.Helper()
	gateway, err := paymentgateway.NewSimulated(db, paymentgateway.DefaultDeclineAbove)
	if err != nil {
		t.Fatal(err)
	}
	application, err := service.NewPaymentApplication(db, OutboxPublisher(t, outbox.Payment), gateway, "payments.events",
		service.Telemetry{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return application
}
