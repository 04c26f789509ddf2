package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/adapters/postgres/messagestore"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/command"
	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/internal/testenv"
)

// TestAnUpdateCausedByAMessageIsAppliedOnce records the message in the
// saga's inbox with the events: a second delivery changes nothing.
func TestAnUpdateCausedByAMessageIsAppliedOnce(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	repo, err := postgres.NewOrderRepository(db, outbox.NewPublisher(nil), postgres.OrderRepositoryConfig{
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
	repo := newRepository(t, db, outbox.NewPublisher(nil))
	o := placeTestOrder(t)
	if _, _, err := repo.Add(context.Background(), o, nil); err != nil {
		t.Fatal(err)
	}
	err := repo.Update(context.Background(), o.ID(), inbox.Key{Consumer: "c", MessageID: "m"}, func(context.Context, *order.Order) error { return nil })
	if err == nil {
		t.Error("Update recorded a message without an inbox")
	}
}

// wakeCounter is an Outbox that counts the after-commit wake-ups it
// registered and that ran.
type wakeCounter struct {
	outbox *outbox.Publisher
	woken  int
}

func (w *wakeCounter) Publish(ctx context.Context, uow *pgtx.UnitOfWork, destination string, msgs ...*message.Message) error {
	if err := w.outbox.PublishTx(ctx, uow.Tx, destination, msgs...); err != nil {
		return err
	}
	uow.AfterCommit(func() { w.woken++ })
	return nil
}

// TestTheRelayIsWokenOnlyAfterACommitThatPublished: a placed order wakes
// it; a replayed idempotent request and a refused command do not.
func TestTheRelayIsWokenOnlyAfterACommitThatPublished(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	w := &wakeCounter{outbox: outbox.NewPublisher(nil)}
	repo := newRepository(t, db, w)
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
	if w.woken != 1 {
		t.Errorf("woken %d times, want 1", w.woken)
	}
}
