package postgres_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/adapters/postgres/messagestore"
	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/internal/testenv"
)

// TestAnUpdateCausedByAMessageIsAppliedOnce records the message in the
// saga's inbox with the events: a second delivery changes nothing.
func TestAnUpdateCausedByAMessageIsAppliedOnce(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	repo, err := postgres.NewOrderRepository(db, testenv.OutboxPublisher(t, outbox.Orders), postgres.OrderRepositoryConfig{
		EventsTopic: "orders.events", InboxTable: messagestore.SagaTables.Inbox,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	o := placeTestOrder(t)
	if _, _, err := repo.Add(ctx, o, nil); err != nil {
		t.Fatal(err)
	}
	msg := inbox.Key{Consumer: "order-saga", MessageID: "stock-reserved-1"}
	reserve := func(_ context.Context, o *order.Order) error { return o.ReserveStock(o.PlacedAt()) }

	if err := repo.Update(ctx, o.ID(), msg, reserve); err != nil {
		t.Fatal(err)
	}
	if err := repo.Update(ctx, o.ID(), msg, reserve); !errors.Is(err, inbox.ErrDuplicate) {
		t.Errorf("second delivery: err = %v, want inbox.ErrDuplicate", err)
	}
	if got := countRows(t, db, o.ID()); got.events != 2 || got.outbox != 2 {
		t.Errorf("rows = %+v, want 2 events and 2 outbox messages", got)
	}
	var recorded int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM order_saga_inbox WHERE message_id = $1`, msg.MessageID).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if recorded != 1 {
		t.Errorf("%d inbox records, want 1", recorded)
	}
}

func TestARepositoryWithoutAnInboxRefusesMessages(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	repo := newRepository(t, db, testenv.OutboxPublisher(t, outbox.Orders))
	o := placeTestOrder(t)
	if _, _, err := repo.Add(context.Background(), o, nil); err != nil {
		t.Fatal(err)
	}
	err := repo.Update(context.Background(), o.ID(), inbox.Key{Consumer: "c", MessageID: "m"}, func(context.Context, *order.Order) error { return nil })
	if err == nil {
		t.Error("Update recorded a message without an inbox")
	}
}

// TestTheForwarderIsWokenOnlyAfterACommitThatPublished: a placed order wakes
// it; a replayed idempotent request and a refused command do not.
func TestTheForwarderIsWokenOnlyAfterACommitThatPublished(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	var woken atomic.Int64
	publisher, err := outbox.NewPublisher(outbox.PublisherConfig{Outbox: outbox.Orders, WakeUp: func(...int) { woken.Add(1) }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	repo := newRepository(t, db, publisher)
	ctx := context.Background()
	o := placeTestOrder(t)
	key := &command.IdempotencyKey{Key: "k-1", Fingerprint: "f"}

	if _, _, err := repo.Add(ctx, o, key); err != nil {
		t.Fatal(err)
	}
	if _, replayed, err := repo.Add(ctx, placeTestOrder(t), key); err != nil || !replayed {
		t.Fatalf("replay: replayed = %v, err = %v", replayed, err)
	}
	refused := errors.New("refused")
	if err := repo.Update(ctx, o.ID(), inbox.Key{}, func(context.Context, *order.Order) error { return refused }); !errors.Is(err, refused) {
		t.Fatalf("Update = %v", err)
	}
	if n := woken.Load(); n != 1 {
		t.Errorf("woken %d times, want 1", n)
	}
}
