package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/postgres/messagestore"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/domain/order"
)

// Outbox publishes messages within a unit of work: they are written on
// uow.Tx and sent only if it commits. An implementation that wakes a forwarder
// registers the wake-up with uow.AfterCommit.
type Outbox interface {
	// Announce declares, before the transaction's first write, the
	// partition keys (order IDs) whose messages it may publish: the
	// outbox forwarder blocks only the shards of open writers, and knows
	// them from this (adapters/outbox's Announce).
	Announce(ctx context.Context, uow *pgtx.UnitOfWork, partitionKeys ...string) error
	Publish(ctx context.Context, uow *pgtx.UnitOfWork, destination string, msgs ...*message.Message) error
}

// OrderRepositoryConfig configures an OrderRepository.
type OrderRepositoryConfig struct {
	// EventsTopic is the Kafka topic the order events are published to.
	EventsTopic string
	// InboxTable is the inbox of the consumer whose messages cause updates
	// (the saga's): Update records the message there. Empty for a
	// repository that no message drives (the HTTP API's); it must then
	// never be given a message.
	InboxTable string
}

// OrderRepository is the unit of work of the order service. This file is
// the whole business transaction, in order:
//
//	BEGIN
//	  announce the order's outbox shard         (Outbox.Announce: the forwarder's barrier)
//	  record the consumed message in the inbox  (Update caused by a message)
//	  look up the idempotency key               (Add with a key; idempotency.go)
//	  load the order's events                   (Update; event_store.go)
//	  the domain decides                        (fn)
//	  append the new events and project the     (event_store.go, order_projection.go:
//	  read model                                 one statement)
//	  publish the outbox messages               (order_messages.go, Outbox)
//	  store the idempotency key                 (Add with a key)
//	COMMIT
//	after commit: wake the forwarder            (registered by the Outbox)
//
// The inbox record comes first: a second delivery of the message fails at
// once with inbox.ErrDuplicate, and a concurrent one waits for the first.
// In a consumer's batch the inbox record, the append and the outbox
// messages are gathered and written as the batch commits, and an order is
// read once per batch (order_batch.go; docs/saga.md, "Batches").
//
// Its statements run prepared (pgtx.Statements): one round trip each,
// neither parsed nor planned again.
type OrderRepository struct {
	stmts  *pgtx.Statements
	outbox Outbox
	cfg    OrderRepositoryConfig
}

var _ command.OrderRepository = (*OrderRepository)(nil)

// NewOrderRepository returns a repository that publishes order events
// through outbox.
func NewOrderRepository(db *sql.DB, outbox Outbox, cfg OrderRepositoryConfig) (*OrderRepository, error) {
	if db == nil || outbox == nil {
		return nil, errors.New("order repository needs a database and an outbox")
	}
	if cfg.EventsTopic == "" {
		return nil, errors.New("order repository needs an events topic")
	}
	if cfg.InboxTable != "" {
		if err := messagestore.ValidateTable(cfg.InboxTable); err != nil {
			return nil, fmt.Errorf("order repository: %w", err)
		}
	}
	stmts, err := pgtx.NewStatements(db)
	if err != nil {
		return nil, err
	}
	return &OrderRepository{stmts: stmts, outbox: outbox, cfg: cfg}, nil
}

// Add stores a new order, and its idempotency key when given.
func (r *OrderRepository) Add(ctx context.Context, o *order.Order, key *command.IdempotencyKey) (order.ID, bool, error) {
	id, replayed := o.ID(), false
	err := r.stmts.Do(ctx, func(uow *pgtx.UnitOfWork) error {
		if err := r.outbox.Announce(ctx, uow, string(id)); err != nil {
			return err
		}
		if key != nil {
			earlier, found, err := lookUpIdempotencyKey(ctx, uow, key)
			if err != nil || found {
				id, replayed = earlier, found
				return err
			}
		}
		if err := r.save(ctx, uow, o); err != nil {
			return err
		}
		if key != nil {
			return storeIdempotencyKey(ctx, uow, key, o.ID())
		}
		return nil
	})
	if err != nil {
		return "", false, err
	}
	return id, replayed, nil
}

// Update loads an order from its events, lets fn change it, and stores the
// events fn recorded. msg is the consumed message the update is the effect
// of (zero for an HTTP command): it is recorded in the inbox with the
// events, and a message recorded before fails with inbox.ErrDuplicate.
func (r *OrderRepository) Update(ctx context.Context, id order.ID, msg inbox.Key, fn func(ctx context.Context, o *order.Order) error) error {
	if !msg.IsZero() && r.cfg.InboxTable == "" {
		return fmt.Errorf("order %s: update caused by message %s, but the repository has no inbox", id, msg.MessageID)
	}
	return r.stmts.Do(ctx, func(uow *pgtx.UnitOfWork) error {
		if err := r.outbox.Announce(ctx, uow, string(id)); err != nil {
			return err
		}
		if err := messagestore.RecordInbox(ctx, uow, r.cfg.InboxTable, msg); err != nil {
			return err
		}
		var o *order.Order
		var err error
		if uow.Batched() {
			o, err = orderBatchOf(ctx, uow).load(ctx, uow, id)
		} else {
			o, err = loadOrder(ctx, uow, id)
		}
		if err != nil {
			return err
		}
		if err := fn(ctx, o); err != nil {
			return err
		}
		return r.save(ctx, uow, o)
	})
}

// save writes the order's new events, its read model row and its outbox
// messages on the unit of work. An order without new events writes
// nothing.
func (r *OrderRepository) save(ctx context.Context, uow *pgtx.UnitOfWork, o *order.Order) error {
	changes := o.Changes()
	if len(changes) == 0 {
		return nil
	}
	var stored []storedEvent
	var err error
	if uow.Batched() {
		stored, err = orderBatchOf(ctx, uow).add(o, changes)
	} else {
		stored, err = appendAndProject(ctx, uow, o, changes)
	}
	if err != nil {
		return err
	}
	msgs, err := outboxMessages(ctx, o.ID(), stored)
	if err != nil {
		return err
	}
	return r.outbox.Publish(ctx, uow, r.cfg.EventsTopic, msgs...)
}
