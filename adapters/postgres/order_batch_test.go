package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/adapters/postgres/messagestore"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/internal/testenv"
)

// TestABatchOfOrderUpdatesWritesOnceForAll updates three orders in one
// batch, one of them twice (its stock reserved, then its payment captured):
// each order is read once, and the events and read model rows of all are
// one statement, as are the inbox records and the outbox messages. The
// read model and the streams end as one at a time would leave them. A
// batch whose order another writer moved on meanwhile fails as it commits
// and writes nothing.
func TestABatchOfOrderUpdatesWritesOnceForAll(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.DBWithURL(t)
	log := testenv.NewStatementLog(t, dbURL)
	pub := testenv.OutboxPublisher(t, outbox.Orders)
	repo, err := postgres.NewOrderRepository(log.DB, pub, postgres.OrderRepositoryConfig{
		EventsTopic: "orders.events", InboxTable: messagestore.SagaTables.Inbox,
	})
	if err != nil {
		t.Fatal(err)
	}
	readModel, err := postgres.NewOrderReadModel(log.DB)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var orders []*order.Order
	for range 3 {
		o := placeTestOrder(t)
		if _, _, err := repo.Add(ctx, o, nil); err != nil {
			t.Fatal(err)
		}
		orders = append(orders, o)
	}
	key := func(id order.ID) inbox.Key {
		return inbox.Key{Consumer: "order-saga", MessageID: uuid.NewString(), OrderKey: string(id)}
	}
	reserve := func(_ context.Context, o *order.Order) error { return o.ReserveStock(o.PlacedAt()) }
	capture := func(_ context.Context, o *order.Order) error {
		return o.CapturePayment("pay-1", o.Total(), o.PlacedAt())
	}
	type update struct {
		id order.ID
		fn func(context.Context, *order.Order) error
	}
	batch := func(updates []update) error {
		b, err := pgtx.Begin(ctx, log.DB, nil, func(uow *pgtx.UnitOfWork) error { return pub.AnnounceAll(ctx, uow) })
		if err != nil {
			return err
		}
		for _, u := range updates {
			if err := repo.Update(b.Join(ctx, nil, nil), u.id, key(u.id), u.fn); err != nil {
				return errors.Join(err, b.Rollback())
			}
		}
		return b.Commit()
	}

	log.Take()
	if err := batch([]update{{orders[0].ID(), reserve}, {orders[1].ID(), reserve}, {orders[0].ID(), capture}, {orders[2].ID(), reserve}}); err != nil {
		t.Fatalf("batch: %v", err)
	}
	sent, transactions := log.Take()
	counts := map[string]int{}
	for _, s := range sent {
		for _, kind := range []string{"FROM order_events", "INSERT INTO order_events", "INSERT INTO order_saga_inbox", "INSERT INTO \"watermill_orders_outbox"} {
			if strings.Contains(s.Query, kind) {
				counts[kind]++
			}
		}
	}
	t.Logf("%d statements in %d transactions: %v", len(sent), transactions, counts)
	for kind, want := range map[string]int{"FROM order_events": 3, "INSERT INTO order_events": 1, "INSERT INTO order_saga_inbox": 1, "INSERT INTO \"watermill_orders_outbox": 1} {
		if counts[kind] != want {
			t.Errorf("%q: %d statements, want %d", kind, counts[kind], want)
		}
	}
	for i, want := range []struct {
		status  string
		version int
	}{{"confirmed", 4}, {"stock_reserved", 2}, {"stock_reserved", 2}} {
		got, err := readModel.OrderByID(ctx, orders[i].ID())
		if err != nil || got.Status != want.status || got.Version != want.version {
			t.Errorf("order %d: %+v, %v; want %s at version %d", i, got, err, want.status, want.version)
		}
		if c := countRows(t, log.DB, orders[i].ID()); c.events != want.version || c.outbox != want.version {
			t.Errorf("order %d: %+v, want %d events and outbox messages", i, c, want.version)
		}
	}

	// Another writer captures order 1's payment while a batch that read it
	// is open: the batch's version 3 is taken.
	b, err := pgtx.Begin(ctx, log.DB, nil, func(uow *pgtx.UnitOfWork) error { return pub.AnnounceAll(ctx, uow) })
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Update(b.Join(ctx, nil, nil), orders[1].ID(), key(orders[1].ID()), capture); err != nil {
		t.Fatal(err)
	}
	if err := repo.Update(ctx, orders[1].ID(), key(orders[1].ID()), capture); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err == nil {
		t.Fatal("a batch that appended a version another writer had appended committed")
	}
	if c := countRows(t, log.DB, orders[1].ID()); c.events != 4 {
		t.Errorf("order 1 after the failed batch: %+v, want its 4 events", c)
	}
}
