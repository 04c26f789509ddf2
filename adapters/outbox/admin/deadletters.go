package admin

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/orderflow/orders/adapters/outbox"
)

// DeadLetter is a message the relay could never send, with why.
type DeadLetter struct {
	ID           int64
	DeadLettered time.Time
	SQLTopic     string
	Offset       int64
	UUID         string
	Reason       string
	// Destination and Payload are read from the stored envelope; when it
	// cannot be read, Destination is empty and Payload the stored bytes.
	Destination string
	Payload     []byte
}

// DeadLetters returns the latest n dead letters of the named outbox, the
// latest first.
func DeadLetters(ctx context.Context, db *sql.DB, outboxName string, n int) (_ []DeadLetter, err error) {
	rows, err := db.QueryContext(ctx, `
		SELECT id, dead_lettered_at, sql_topic, "offset", uuid, reason, COALESCE(payload, '')
		FROM outbox_dead_letters WHERE outbox = $1 ORDER BY id DESC LIMIT $2`, outboxName, n)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	var letters []DeadLetter
	for rows.Next() {
		var d DeadLetter
		if err := rows.Scan(&d.ID, &d.DeadLettered, &d.SQLTopic, &d.Offset, &d.UUID, &d.Reason, &d.Payload); err != nil {
			return nil, err
		}
		var env outbox.Envelope
		if (outbox.Marshaler{}).Unmarshal(d.Payload, &env) == nil {
			d.Destination, d.Payload = env.DestinationTopic, env.Payload
		}
		letters = append(letters, d)
	}
	return letters, rows.Err()
}
