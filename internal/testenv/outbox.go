package testenv

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
)

// OutboxPublisher returns a publisher into the outbox cfg that wakes no
// forwarder (a forwarder under test finds the messages by polling).
func OutboxPublisher(t testing.TB, cfg outbox.Config) *outbox.Publisher {
	t.Helper()
	pub, err := outbox.NewPublisher(outbox.PublisherConfig{Outbox: cfg}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// OrdersOutboxWithShards gives the orders outbox of db, new and empty,
// that many shards and returns its config, for tests of what happens
// across shards: a new database's has outbox.DefaultShards (one).
func OrdersOutboxWithShards(t testing.TB, db *sql.DB, shards int) outbox.Config {
	t.Helper()
	if err := admin.ChangeShards(context.Background(), db, outbox.Orders.Name, shards); err != nil {
		t.Fatalf("give the orders outbox %d shards: %v", shards, err)
	}
	return outbox.Config{Name: outbox.Orders.Name, Shards: shards}
}

// ErrForced is the failure FailingAfterPublish returns.
var ErrForced = errors.New("forced failure after the outbox publish")

// FailingAfterPublish publishes to the real outbox, then fails: the
// business transaction must roll back everything, outbox row included.
type FailingAfterPublish struct {
	Outbox postgres.Outbox
}

// Announce announces the writer to the real outbox.
func (f FailingAfterPublish) Announce(ctx context.Context, uow *pgtx.UnitOfWork, partitionKeys ...string) error {
	return f.Outbox.Announce(ctx, uow, partitionKeys...)
}

// Publish writes msgs to the outbox in uow, then returns ErrForced.
func (f FailingAfterPublish) Publish(ctx context.Context, uow *pgtx.UnitOfWork, destination string, msgs ...*message.Message) error {
	if err := f.Outbox.Publish(ctx, uow, destination, msgs...); err != nil {
		return err
	}
	return ErrForced
}
