package messagestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
)

// A release of an order (FirstParked, handle, Unpark, until none is left)
// and the consumer parking a new message of the order behind the parked
// ones (ParkBehind) take the same per-order lock around their check and
// write. Without it the consumer could see the order parked, the release
// then delete its last message and find none left, and the consumer park
// the new message behind nothing: the order would be parked again by a
// message that never failed.

// ParkBehind parks msg, with reason, when a message of the order is
// parked, and reports whether it is (a redelivered msg parked before
// counts). The check runs after the lock is taken, so it sees a release's
// deletion that committed meanwhile.
func (p *ParkingLot) ParkBehind(ctx context.Context, consumer, orderKey, topic string, msg *message.Message, reason string) (bool, error) {
	parked := false
	err := p.lockedTx(ctx, consumer, orderKey, func(uow *pgtx.UnitOfWork) error {
		err := uow.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+p.tables.Parked+` WHERE consumer = $1 AND order_key = $2)`,
			consumer, orderKey).Scan(&parked)
		if err != nil || !parked {
			return err
		}
		return p.park(ctx, uow, consumer, orderKey, topic, msg, reason)
	})
	if err != nil {
		return false, fmt.Errorf("park message %s behind its order: %w", msg.UUID, err)
	}
	return parked, nil
}

// FirstParked returns the order's parked message with the lowest seq, or
// a nil message when none is parked.
func (p *ParkingLot) FirstParked(ctx context.Context, consumer, orderKey string) (int64, *message.Message, error) {
	var (
		seq               int64
		id                string
		payload, metadata []byte
	)
	err := p.stmts.QueryRowContext(ctx, `SELECT seq, message_id, payload, metadata FROM `+p.tables.Parked+`
		WHERE consumer = $1 AND order_key = $2 ORDER BY seq LIMIT 1`, consumer, orderKey).Scan(&seq, &id, &payload, &metadata)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read parked messages of order %s: %w", orderKey, err)
	}
	msg := message.NewMessage(id, payload)
	if err := json.Unmarshal(metadata, &msg.Metadata); err != nil {
		return 0, nil, fmt.Errorf("metadata of parked message %s: %w", id, err)
	}
	return seq, msg, nil
}

// Unpark deletes the parked message seq of the order.
func (p *ParkingLot) Unpark(ctx context.Context, consumer, orderKey string, seq int64) error {
	err := p.lockedTx(ctx, consumer, orderKey, func(uow *pgtx.UnitOfWork) error {
		_, err := uow.ExecContext(ctx, `DELETE FROM `+p.tables.Parked+` WHERE consumer = $1 AND seq = $2`, consumer, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("unpark message %d of order %s: %w", seq, orderKey, err)
	}
	return nil
}

// Repark replaces the reason of the parked message seq: it failed again.
func (p *ParkingLot) Repark(ctx context.Context, consumer string, seq int64, reason string) error {
	_, err := p.stmts.ExecContext(ctx, `UPDATE `+p.tables.Parked+` SET reason = $3 WHERE consumer = $1 AND seq = $2`, consumer, seq, reason)
	if err != nil {
		return fmt.Errorf("record the reason of parked message %d: %w", seq, err)
	}
	return nil
}

// lockedTx runs fn in a transaction holding the order's parking lock.
func (p *ParkingLot) lockedTx(ctx context.Context, consumer, orderKey string, fn func(*pgtx.UnitOfWork) error) error {
	return p.stmts.Do(ctx, func(uow *pgtx.UnitOfWork) error {
		if _, err := uow.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
			p.tables.Parked+"/"+consumer+"/"+orderKey); err != nil {
			return err
		}
		return fn(uow)
	})
}
