package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/orderflow/orders/adapters/outbox"
)

// Dead-letter statuses (migration 00031). Dead and held letters are open:
// their order's new events are held behind them.
const (
	// StatusDead: the forwarder could not turn the row into a Kafka record.
	StatusDead = "dead"
	// StatusHeld: a later event of an order with an open letter.
	StatusHeld = "held"
	// StatusReplayed: sent to Kafka by ReplayDeadLetters.
	StatusReplayed = "replayed"
	// StatusSkipped: given up by SkipDeadLetters.
	StatusSkipped = "skipped"
)

// DeadLetter is a message the forwarder could not send, or held behind one.
type DeadLetter struct {
	ID           int64
	DeadLettered time.Time
	SQLTopic     string
	Offset       int64
	UUID         string
	Reason       string
	// Order is the message's partition key; "" when it could not be read
	// (such a letter holds nothing).
	Order  string
	Status string
	// HeldBehind is the open letter of the order a held letter waited for.
	HeldBehind int64
	ResolvedAt *time.Time
	// Metadata is the row's metadata column as stored.
	Metadata string
	// Destination and Payload are read from the stored envelope; when it
	// cannot be read, Destination is empty and Payload the stored bytes.
	Destination string
	Payload     []byte
	// Stored is the stored envelope as it is.
	Stored []byte
}

// Open reports a letter that still holds its order.
func (d DeadLetter) Open() bool { return d.Status == StatusDead || d.Status == StatusHeld }

const letterColumns = `id, dead_lettered_at, sql_topic, "offset", uuid, reason, COALESCE(partition_key, ''),
	status, COALESCE(held_behind, 0), resolved_at, COALESCE(metadata::text, ''), COALESCE(payload, '')`

func scanLetter(row interface{ Scan(...any) error }) (DeadLetter, error) {
	var d DeadLetter
	err := row.Scan(&d.ID, &d.DeadLettered, &d.SQLTopic, &d.Offset, &d.UUID, &d.Reason, &d.Order,
		&d.Status, &d.HeldBehind, &d.ResolvedAt, &d.Metadata, &d.Stored)
	if err != nil {
		return d, err
	}
	d.Payload = d.Stored
	var env outbox.Envelope
	if (outbox.Marshaler{}).Unmarshal(d.Stored, &env) == nil {
		d.Destination, d.Payload = env.DestinationTopic, env.Payload
	}
	return d, nil
}

// DeadLetters returns the latest n dead letters of the named outbox, the
// latest first.
func DeadLetters(ctx context.Context, db *sql.DB, outboxName string, n int) ([]DeadLetter, error) {
	return queryLetters(ctx, db, `SELECT `+letterColumns+` FROM outbox_dead_letters WHERE outbox = $1 ORDER BY id DESC LIMIT $2`, outboxName, n)
}

// ErrNoDeadLetter is returned for an ID or order with no (open) letter.
var ErrNoDeadLetter = errors.New("no such dead letter")

// DeadLetterByID returns one dead letter of the named outbox.
func DeadLetterByID(ctx context.Context, db *sql.DB, outboxName string, id int64) (DeadLetter, error) {
	d, err := scanLetter(db.QueryRowContext(ctx, `SELECT `+letterColumns+` FROM outbox_dead_letters WHERE outbox = $1 AND id = $2`, outboxName, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("dead letter %d of outbox %s: %w", id, outboxName, ErrNoDeadLetter)
	}
	return d, err
}

func queryLetters(ctx context.Context, q execer, query string, args ...any) (_ []DeadLetter, err error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	var letters []DeadLetter
	for rows.Next() {
		d, err := scanLetter(rows)
		if err != nil {
			return nil, err
		}
		letters = append(letters, d)
	}
	return letters, rows.Err()
}
