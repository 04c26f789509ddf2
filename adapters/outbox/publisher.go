package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
)

// Publisher writes messages into the outbox on the caller's transaction:
// each one wrapped in the forwarder's envelope that names its Kafka topic,
// into the shard of its partition key. It implements the stores' Outbox.
type Publisher struct {
	cfg    Config
	waker  Waker
	logger watermill.LoggerAdapter
}

// OrdersOutbox is the order service's outbox with the default shard count.
var OrdersOutbox = Config{Name: "orders", Shards: DefaultShards}

// NewPublisher returns a publisher into OrdersOutbox that wakes no
// forwarder (they find its messages by polling): for tests and tools.
func NewPublisher(logger watermill.LoggerAdapter) *Publisher {
	p, err := NewPublisherFor(OrdersOutbox, nil, logger)
	if err != nil {
		panic(err) // OrdersOutbox is valid
	}
	return p
}

// NewPublisherFor returns a publisher into the outbox cfg. waker, if not
// nil, is woken after every commit that wrote to the outbox (see Committed).
func NewPublisherFor(cfg Config, waker Waker, logger watermill.LoggerAdapter) (*Publisher, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	return &Publisher{cfg: cfg, waker: waker, logger: logger}, nil
}

// Config returns the outbox the publisher writes to.
func (p *Publisher) Config() Config { return p.cfg }

// Publish inserts msgs into the outbox within the unit of work, for the
// forwarder to send to the Kafka topic destination once it commits, and
// wakes the forwarders after the commit. Nothing is sent if it rolls back.
func (p *Publisher) Publish(ctx context.Context, uow *pgtx.UnitOfWork, destination string, msgs ...*message.Message) error {
	if uow == nil {
		return errors.New("outbox publish needs a unit of work")
	}
	if err := p.PublishTx(ctx, uow.Tx, destination, msgs...); err != nil {
		return err
	}
	if len(msgs) > 0 {
		uow.AfterCommit(p.Committed)
	}
	return nil
}

// PublishTx inserts msgs into the outbox within tx, for the forwarder to
// send to the Kafka topic destination once tx commits. Nothing is sent if
// tx rolls back. Messages of one shard keep their order.
func (p *Publisher) PublishTx(_ context.Context, tx *sql.Tx, destination string, msgs ...*message.Message) error {
	if tx == nil {
		return errors.New("outbox publish needs a transaction")
	}
	if len(msgs) == 0 {
		return nil
	}
	byShard := make(map[int][]*message.Message, 1)
	for _, msg := range msgs {
		shard := p.cfg.Shard(msg)
		byShard[shard] = append(byShard[shard], msg)
	}
	sqlPublisher, err := watermillsql.NewPublisher(tx, watermillsql.PublisherConfig{
		SchemaAdapter:        SchemaAdapter{},
		AutoInitializeSchema: false, // DDL on the business transaction would commit it
	}, p.logger)
	if err != nil {
		return fmt.Errorf("outbox publisher: %w", err)
	}
	for shard, shardMsgs := range byShard {
		envelopes := forwarder.NewPublisher(sqlPublisher, forwarder.PublisherConfig{ForwarderTopic: p.cfg.SQLTopic(shard)})
		if err := envelopes.Publish(destination, shardMsgs...); err != nil {
			return fmt.Errorf("publish to outbox %s: %w", p.cfg.Name, err)
		}
	}
	return nil
}

// Committed wakes the forwarders after a transaction that published to the
// outbox committed. The order repository calls it.
func (p *Publisher) Committed() {
	if p.waker != nil {
		p.waker.Wake()
	}
}
