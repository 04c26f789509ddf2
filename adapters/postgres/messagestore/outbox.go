package messagestore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/postgres"
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

// Publish records the inbox key of ctx, then publishes msgs, on tx.
func (o *InboxOutbox) Publish(ctx context.Context, tx *sql.Tx, destination string, msgs ...*message.Message) error {
	if err := RecordInbox(ctx, tx, o.table, time.Now()); err != nil {
		return err
	}
	return o.outbox.Publish(ctx, tx, destination, msgs...)
}

// Committed passes the commit on to the wrapped outbox when it listens.
func (o *InboxOutbox) Committed() {
	if observer, ok := o.outbox.(postgres.CommitObserver); ok {
		observer.Committed()
	}
}
