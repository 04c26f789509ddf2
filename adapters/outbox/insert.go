package outbox

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/outbox/internal/shard"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
)

// shardInserter is the message.Publisher under Watermill's forwarder
// publisher: it inserts the envelopes into the SQL topic's table on the
// unit of work's transaction, with the statement of shard.InsertQuery,
// through the unit of work (so prepared when its statements are). It
// replaces watermill-sql's Publisher, which ran the same statement but
// only unprepared and without the caller's context.
type shardInserter struct {
	ctx context.Context
	uow *pgtx.UnitOfWork
}

func (i shardInserter) Publish(topic string, msgs ...*message.Message) error {
	q, err := shard.InsertQuery(topic, msgs)
	if err != nil {
		return err
	}
	if _, err := i.uow.ExecContext(i.ctx, q.Query, q.Args...); err != nil {
		return fmt.Errorf("insert messages into %s: %w", topic, err)
	}
	return nil
}

func (shardInserter) Close() error { return nil }
