package messagestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/inbox"
)

// RecordInbox inserts the key of a consumed message into the consumer's
// inbox table, on the unit of work of the message's effect. It returns
// inbox.ErrDuplicate when the key is already there (the transaction must
// then roll back), and nil without writing for the zero key (work that no
// message caused, such as an HTTP request). A concurrent transaction
// inserting the same key makes this one wait for its outcome.
func RecordInbox(ctx context.Context, uow *pgtx.UnitOfWork, table string, key inbox.Key) error {
	if key.IsZero() {
		return nil
	}
	if err := ValidateTable(table); err != nil {
		return fmt.Errorf("record message %s: %w", key.MessageID, err)
	}
	res, err := uow.ExecContext(ctx, `INSERT INTO `+table+` (consumer, message_id, received_at) VALUES ($1, $2, $3)
		ON CONFLICT (consumer, message_id) DO NOTHING`, key.Consumer, key.MessageID, time.Now())
	if err != nil {
		return fmt.Errorf("record message %s in %s: %w", key.MessageID, table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("record message %s in %s: %w", key.MessageID, table, err)
	}
	if n == 0 {
		return fmt.Errorf("%s, message %s: %w", key.Consumer, key.MessageID, inbox.ErrDuplicate)
	}
	return nil
}

// DeleteInboxBefore deletes inbox records older than maxAge and returns
// how many. A message redelivered after its record is gone would be
// applied again, so maxAge must exceed the longest redelivery delay (see
// docs/saga.md).
func DeleteInboxBefore(ctx context.Context, db *sql.DB, table string, maxAge time.Duration) (int64, error) {
	if err := ValidateTable(table); err != nil {
		return 0, err
	}
	res, err := db.ExecContext(ctx, `DELETE FROM `+table+` WHERE received_at < now() - make_interval(secs => $1)`, maxAge.Seconds())
	if err != nil {
		return 0, fmt.Errorf("delete old records of %s: %w", table, err)
	}
	return res.RowsAffected()
}
