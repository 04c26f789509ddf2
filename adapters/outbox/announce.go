package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/orderflow/orders/adapters/outbox/internal/shard"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
)

// ErrNotAnnounced is Publish's (or Announce's) error when the transaction
// took a shard's writer lock after it had written something: its rows
// would carry a transaction ID the forwarder may already have passed, so the
// transaction must roll back. Call Announce before the transaction's
// first write.
var ErrNotAnnounced = errors.New("outbox: the transaction wrote before it announced itself as a writer of the shard; call Announce before its first write")

// writerLock is the unit-of-work key of a shard's writer lock, so each is
// taken once per transaction.
type writerLock struct{ topic string }

// Announce declares that the transaction of uow will write the outbox
// messages of these partition keys (order IDs): it takes the writer lock
// of their shards, shared, for the rest of the transaction. It must run
// before the transaction's first write (of any table), when the
// transaction has no ID yet: the forwarder then reads a shard only below the
// IDs of its writers (docs/forwarder.md, "Reading"), and a transaction
// that takes its ID after the lock cannot write a row below that barrier.
// A long transaction blocks the shards it announced, no others.
//
// Announcing a shard twice in a transaction takes its lock once.
func (p *Publisher) Announce(ctx context.Context, uow *pgtx.UnitOfWork, partitionKeys ...string) error {
	if uow == nil || uow.Tx == nil {
		return errors.New("outbox announce needs a unit of work")
	}
	shards := make([]int, 0, len(partitionKeys))
	for _, key := range partitionKeys {
		shards = append(shards, ShardOf(key, p.cfg.Outbox.Shards))
	}
	return p.lockShards(ctx, uow, shards)
}

// AnnounceAll is Announce for every shard of the outbox: for a
// transaction that will write messages of keys it does not know yet, such
// as a consumer's batch (it blocks every shard until it ends).
func (p *Publisher) AnnounceAll(ctx context.Context, uow *pgtx.UnitOfWork) error {
	if uow == nil || uow.Tx == nil {
		return errors.New("outbox announce needs a unit of work")
	}
	shards := make([]int, p.cfg.Outbox.Shards)
	for i := range shards {
		shards[i] = i
	}
	return p.lockShards(ctx, uow, shards)
}

// lockShards takes the writer locks of shards the transaction does not
// hold yet, in shard order (shared locks never wait for each other; the
// order keeps an exclusive taker of several, if one is ever added, from
// deadlocking with writers), in one statement, and fails with
// ErrNotAnnounced when the transaction already had an ID. A failed
// statement aborts the transaction, so the locks marked taken before it
// ran never matter.
func (p *Publisher) lockShards(ctx context.Context, uow *pgtx.UnitOfWork, shards []int) error {
	slices.Sort(shards)
	shards = slices.Compact(shards)
	topics := make([]string, 0, len(shards))
	for _, s := range shards {
		topic := p.cfg.Outbox.SQLTopic(s)
		if uow.Once(writerLock{topic}) {
			topics = append(topics, topic)
		}
	}
	if len(topics) == 0 {
		return nil
	}
	var xid sql.NullString
	dest := make([]any, len(topics)+1) // one void per lock, then the ID
	for i := range topics {
		dest[i] = new(any)
	}
	dest[len(topics)] = &xid
	if err := uow.QueryRowContext(ctx, shard.AnnounceQuery(topics)).Scan(dest...); err != nil {
		return fmt.Errorf("take the writer lock of outbox %s: %w", p.cfg.Outbox.Name, err)
	}
	if xid.Valid {
		return fmt.Errorf("%w (outbox %s, shards %v, transaction %s)", ErrNotAnnounced, p.cfg.Outbox.Name, shards, xid.String)
	}
	return nil
}
