package messagestore

import (
	"context"
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
)

// InboxOutbox is an outbox that first records the consumed message that
// ctx carries (internal/inbox) in an inbox table, on the same transaction.
// It lets a repository that owns its transaction, such as the order
// repository, take part in a consumer's deduplication without knowing of
// it: every transaction that publishes an event also records the message
// that caused it, or fails with inbox.ErrDuplicate and rolls back.
type InboxOutbox struct {
	outbox postgres.Outbox
	table  string
}

var _ postgres.Outbox = (*InboxOutbox)(nil)

// NewInboxOutbox wraps outbox; table is the consumer's inbox.
func NewInboxOutbox(outbox postgres.Outbox, table string) (*InboxOutbox, error) {
	if outbox == nil {
		return nil, errors.New("inbox outbox needs an outbox")
	}
	if !identifier.MatchString(table) {
		return nil, errors.New("inbox outbox: invalid table name " + table)
	}
	return &InboxOutbox{outbox: outbox, table: table}, nil
}

// Publish records the inbox key of ctx, then publishes msgs, in uow.
func (o *InboxOutbox) Publish(ctx context.Context, uow *pgtx.UnitOfWork, destination string, msgs ...*message.Message) error {
	if err := RecordInbox(ctx, uow.Tx, o.table, time.Now()); err != nil {
		return err
	}
	return o.outbox.Publish(ctx, uow, destination, msgs...)
}
