package admin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/internal/shard"
)

// Resolution is what ReplayDeadLetters or SkipDeadLetters did.
type Resolution struct {
	// Order is the order acted on; "" for a letter that names none.
	Order string
	// Done are the letters replayed or skipped, in their order.
	Done []int64
	// StillOpen counts the order's letters still open: while there are
	// any, the forwarder goes on holding its new events.
	StillOpen int
}

// ReplayDeadLetters sends an order's open letters (dead and held) to
// Kafka, in their original order, one at a time, each acknowledged before
// the next, with pub (the Kafka publisher, keyed by the partition key: the
// same record the forwarder would have produced, same UUID), and marks them
// replayed, which releases the order. orderOrID is the order (partition
// key) or the ID of one letter, which must then be its order's first open
// letter: the letters are acted on as one sequence, never out of order.
//
// It sends directly rather than putting the rows back into the outbox: a
// row written now could be read after a newer event of the order that is
// still in an open transaction with a lower transaction ID. The shard's
// lock is held meanwhile, so no forwarder forwards the shard until the letters
// are sent and released. If one cannot be sent, nothing after it is: the
// ones before stay replayed, and the error says which one failed (skip it,
// or mend what refused it, then replay again).
func ReplayDeadLetters(ctx context.Context, db *sql.DB, ob outbox.Config, consumerGroup string, pub message.Publisher, orderOrID string) (Resolution, error) {
	return resolve(ctx, db, ob, consumerGroup, orderOrID, StatusReplayed, func(d DeadLetter) error {
		var env outbox.Envelope
		if err := (outbox.Marshaler{}).Unmarshal(d.Stored, &env); err != nil {
			return fmt.Errorf("its envelope cannot be read: %w", err)
		}
		if env.DestinationTopic == "" {
			return errors.New("its envelope names no topic")
		}
		msg := message.NewMessage(env.UUID, env.Payload)
		msg.Metadata = env.Metadata
		msg.SetContext(ctx)
		return pub.Publish(env.DestinationTopic, msg)
	})
}

// SkipDeadLetters marks an order's open letters skipped, which releases
// the order: its later events flow again, and consumers see the gap.
// orderOrID is as for ReplayDeadLetters; to give up only the poison and
// replay what was held behind it, skip the poison's ID, then replay the
// order.
func SkipDeadLetters(ctx context.Context, db *sql.DB, ob outbox.Config, consumerGroup string, orderOrID string) (Resolution, error) {
	return resolve(ctx, db, ob, consumerGroup, orderOrID, StatusSkipped, func(DeadLetter) error { return nil })
}

func resolve(ctx context.Context, db *sql.DB, ob outbox.Config, consumerGroup, orderOrID, status string, act func(DeadLetter) error) (res Resolution, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return res, err
	}
	defer func() { _ = tx.Rollback() }()
	letters, err := openSequence(ctx, tx, ob, consumerGroup, orderOrID)
	if err != nil {
		return res, err
	}
	res.Order = letters[0].Order
	var failed error
	for _, d := range letters {
		if err := act(d); err != nil {
			failed = fmt.Errorf("dead letter %d (order %q, uuid %s) was not %s: %w; nothing after it was", d.ID, d.Order, d.UUID, status, err)
			break
		}
		res.Done = append(res.Done, d.ID)
	}
	if len(res.Done) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox_dead_letters SET status = $2, resolved_at = now() WHERE id = ANY($1)`,
			int64Array(res.Done), status); err != nil {
			return res, errors.Join(failed, err)
		}
	}
	if res.Order != "" {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox_dead_letters
			WHERE outbox = $1 AND partition_key = $2 AND status IN ('dead', 'held')`, ob.Name, res.Order).Scan(&res.StillOpen); err != nil {
			return res, errors.Join(failed, err)
		}
	}
	return res, errors.Join(failed, tx.Commit())
}

// openSequence locks the shard of the letters orderOrID names and returns
// them, in order; see ReplayDeadLetters.
func openSequence(ctx context.Context, tx *sql.Tx, ob outbox.Config, consumerGroup, orderOrID string) ([]DeadLetter, error) {
	order, topic := orderOrID, ""
	var named *DeadLetter
	if id, err := strconv.ParseInt(orderOrID, 10, 64); err == nil {
		d, err := scanLetter(tx.QueryRowContext(ctx, `SELECT `+letterColumns+` FROM outbox_dead_letters WHERE outbox = $1 AND id = $2`, ob.Name, id))
		switch {
		case err == nil:
			named, order, topic = &d, d.Order, d.SQLTopic
		case !errors.Is(err, sql.ErrNoRows):
			return nil, err
		}
	}
	if order != "" {
		shards, err := RecordedShards(ctx, tx, ob.Name)
		if err != nil {
			return nil, err
		}
		topic = outbox.Config{Name: ob.Name, Shards: shards}.SQLTopic(outbox.ShardOf(order, shards))
	}
	if topic != "" {
		// No forwarder forwards the shard until this transaction ends.
		if err := shard.Lock(ctx, tx, topic, consumerGroup); err != nil {
			return nil, err
		}
	}
	if named != nil && named.Order == "" {
		d, err := scanLetter(tx.QueryRowContext(ctx, `SELECT `+letterColumns+` FROM outbox_dead_letters WHERE id = $1 FOR UPDATE`, named.ID))
		if err != nil {
			return nil, err
		}
		if !d.Open() {
			return nil, fmt.Errorf("dead letter %d is %s already", d.ID, d.Status)
		}
		return []DeadLetter{d}, nil
	}
	letters, err := queryLetters(ctx, tx, `SELECT `+letterColumns+` FROM outbox_dead_letters
		WHERE outbox = $1 AND partition_key = $2 AND status IN ('dead', 'held') ORDER BY id FOR UPDATE`, ob.Name, order)
	if err != nil {
		return nil, err
	}
	if len(letters) == 0 {
		if named != nil {
			return nil, fmt.Errorf("dead letter %d is %s already", named.ID, named.Status)
		}
		return nil, fmt.Errorf("%q: no open dead letter of that order or ID in outbox %s: %w", orderOrID, ob.Name, ErrNoDeadLetter)
	}
	if named == nil {
		return letters, nil
	}
	if letters[0].ID != named.ID {
		for _, d := range letters {
			if d.ID == named.ID {
				return nil, fmt.Errorf("dead letter %d of order %s is behind letter %d: act on %d first, or on the order as a whole (refusing to reorder)",
					named.ID, order, letters[0].ID, letters[0].ID)
			}
		}
		return nil, fmt.Errorf("dead letter %d is %s already", named.ID, named.Status)
	}
	return letters[:1], nil
}

// int64Array is a PostgreSQL bigint[] literal.
func int64Array(ids []int64) string {
	b := []byte{'{'}
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, '}'))
}
