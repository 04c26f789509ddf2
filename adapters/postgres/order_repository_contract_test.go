package postgres_test

import (
	"testing"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/adapters/postgres/messagestore"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/app/order/command/commandtest"
	"github.com/orderflow/orders/internal/testenv"
)

// TestOrderRepositoryContract runs the contract every
// command.OrderRepository keeps (adapters/memory runs it too). The
// repository records consumed messages in the saga's inbox, as the saga
// wires it.
func TestOrderRepositoryContract(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	commandtest.TestOrderRepository(t, func(t *testing.T) command.OrderRepository {
		repo, err := postgres.NewOrderRepository(db, testenv.OutboxPublisher(t, outbox.Orders), postgres.OrderRepositoryConfig{
			EventsTopic: "orders.events", InboxTable: messagestore.SagaTables.Inbox,
		})
		if err != nil {
			t.Fatal(err)
		}
		return repo
	})
}
