package messagestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
)

// ParkingLot stores the messages a consumer set aside, per order, in the
// service's parked-messages table. An order with a parked message is
// parked: its later messages are parked too, in arrival order, so that
// none overtakes the one that failed. Its statements run prepared
// (pgtx.Statements): the parking check runs for every delivery.
type ParkingLot struct {
	stmts  *pgtx.Statements
	tables Tables
}

// NewParkingLot returns the parking lot in tables.Parked.
func NewParkingLot(db *sql.DB, tables Tables) (*ParkingLot, error) {
	if db == nil {
		return nil, errors.New("parking lot needs a database")
	}
	if err := tables.Validate(); err != nil {
		return nil, err
	}
	stmts, err := pgtx.NewStatements(db)
	if err != nil {
		return nil, err
	}
	return &ParkingLot{stmts: stmts, tables: tables}, nil
}

// IsParked reports whether the consumer parked a message of the order.
func (p *ParkingLot) IsParked(ctx context.Context, consumer, orderKey string) (bool, error) {
	var parked bool
	err := p.stmts.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+p.tables.Parked+` WHERE consumer = $1 AND order_key = $2)`,
		consumer, orderKey).Scan(&parked)
	if err != nil {
		return false, fmt.Errorf("read parked messages: %w", err)
	}
	return parked, nil
}

// CountParked returns how many messages the consumer has parked now.
func (p *ParkingLot) CountParked(ctx context.Context, consumer string) (int64, error) {
	var n int64
	err := p.stmts.QueryRowContext(ctx, `SELECT count(*) FROM `+p.tables.Parked+` WHERE consumer = $1`, consumer).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count parked messages: %w", err)
	}
	return n, nil
}

// Park stores msg for the order with the reason it was set aside. Parking
// a message twice (a redelivery) keeps the first record.
func (p *ParkingLot) Park(ctx context.Context, consumer, orderKey, topic string, msg *message.Message, reason string) error {
	return p.park(ctx, p.stmts, consumer, orderKey, topic, msg, reason)
}

func (p *ParkingLot) park(ctx context.Context, db execer, consumer, orderKey, topic string, msg *message.Message, reason string) error {
	metadata, err := json.Marshal(msg.Metadata)
	if err != nil {
		return fmt.Errorf("marshal metadata of message %s: %w", msg.UUID, err)
	}
	_, err = db.ExecContext(ctx, `
		INSERT INTO `+p.tables.Parked+` (consumer, message_id, order_key, topic, payload, metadata, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (consumer, message_id) DO NOTHING`,
		consumer, msg.UUID, orderKey, topic, []byte(msg.Payload), metadata, reason)
	if err != nil {
		return fmt.Errorf("park message %s: %w", msg.UUID, err)
	}
	return nil
}

// execer is the pool's prepared statements or a unit of work.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// ParkedMessage is one message set aside.
type ParkedMessage struct {
	Seq       int64
	Consumer  string
	MessageID string
	OrderKey  string
	Topic     string
	EventType string
	Reason    string
	ParkedAt  time.Time
	Payload   []byte
	Metadata  message.Metadata
}

// Parked returns the consumer's parked messages in the order they were
// parked.
func (p *ParkingLot) Parked(ctx context.Context, consumer string) (_ []ParkedMessage, err error) {
	rows, err := p.stmts.QueryContext(ctx, `
		SELECT seq, consumer, message_id, order_key, topic, reason, parked_at, payload, metadata
		FROM `+p.tables.Parked+` WHERE consumer = $1 ORDER BY seq`, consumer)
	if err != nil {
		return nil, fmt.Errorf("list parked messages: %w", err)
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	var out []ParkedMessage
	for rows.Next() {
		var (
			m        ParkedMessage
			metadata []byte
		)
		if err := rows.Scan(&m.Seq, &m.Consumer, &m.MessageID, &m.OrderKey, &m.Topic, &m.Reason, &m.ParkedAt, &m.Payload, &metadata); err != nil {
			return nil, fmt.Errorf("scan parked message: %w", err)
		}
		if err := json.Unmarshal(metadata, &m.Metadata); err != nil {
			return nil, fmt.Errorf("metadata of parked message %s: %w", m.MessageID, err)
		}
		m.EventType = m.Metadata.Get("name")
		m.ParkedAt = m.ParkedAt.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}
