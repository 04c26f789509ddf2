package forwarder

import (
	"context"
	"database/sql"

	"github.com/ThreeDotsLabs/watermill/message"
)

// InsertForTest inserts msgs into topic on tx with the insert watermill-sql's
// publisher uses with the forwarder's schema adapter.
func InsertForTest(ctx context.Context, tx *sql.Tx, topic string, msgs ...*message.Message) error {
	q, err := schemaAdapter{}.InsertQuery(topic, msgs)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, q.Query, q.Args...)
	return err
}
