package memory_test

import (
	"testing"

	"github.com/orderflow/orders/adapters/memory"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/app/order/command/commandtest"
)

func TestOrderRepositoryContract(t *testing.T) {
	t.Parallel()
	commandtest.TestOrderRepository(t, func(*testing.T) command.OrderRepository { return memory.NewOrderRepository() })
}
