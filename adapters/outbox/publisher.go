package outbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/platform/tracing"
)

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// Outbox is the outbox written to. Its shard count must be the
	// database's (admin.CheckLayout checks it at start-up).
	Outbox Config
	// WakeUp, when set, is called after every commit of a transaction that
	// published to the outbox, with the shards it wrote: the forwarder's
	// wake-up (forwarder.Notifier's Wake). Without it the forwarder finds the
	// messages by polling.
	WakeUp func(shards ...int)
}

func (c *PublisherConfig) setDefaults() { c.Outbox.setDefaults() }

// Validate reports a config that cannot name tables.
func (c PublisherConfig) Validate() error { return c.Outbox.Validate() }

// Publisher writes messages into the outbox on the caller's transaction:
// an insert on the unit of work (shardInserter), wrapped by Watermill's
// forwarder publisher, so each message is stored in the forwarder envelope
// that names its Kafka topic (framed by Marshaler), into the shard of its
// partition key. One statement per shard written, with every message of
// the shard.
type Publisher struct {
	cfg    PublisherConfig
	logger watermill.LoggerAdapter
}

// NewPublisher returns a publisher into cfg.Outbox.
func NewPublisher(cfg PublisherConfig, logger watermill.LoggerAdapter) (*Publisher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	return &Publisher{cfg: cfg, logger: logger}, nil
}

// Publish inserts msgs into the outbox within uow's transaction, for the
// forwarder to send to the Kafka topic destination once it commits, and
// registers the forwarder's wake-up to run after the commit. Nothing is sent if
// the transaction rolls back. Messages of one shard keep their order.
//
// The transaction must hold the writer lock of every shard it writes from
// before it has a transaction ID (see Announce): Publish takes the locks
// it is missing and fails with ErrNotAnnounced when the transaction
// already wrote something, since the forwarder could then pass its rows.
func (p *Publisher) Publish(ctx context.Context, uow *pgtx.UnitOfWork, destination string, msgs ...*message.Message) error {
	if uow == nil || uow.Tx == nil {
		return errors.New("outbox publish needs a unit of work")
	}
	if len(msgs) == 0 {
		return nil
	}
	// The row carries the writer's trace context (the command's span), so
	// the forwarder and the consumers continue its trace.
	tracing.Inject(ctx, msgs...)
	if uow.Batched() {
		// A batch's messages go in as it commits, one insert per shard;
		// the locks are taken now, while they still can be.
		_, shards := p.byShard(msgs)
		if err := p.lockShards(ctx, uow, shards); err != nil {
			return err
		}
	}
	return pgtx.Gather(ctx, uow, gatheredMessages{p, destination}, func(ctx context.Context, msgs []*message.Message) error {
		return p.insert(ctx, uow, destination, msgs)
	}, msgs...)
}

// byShard groups msgs by shard, in order, and lists the shards.
func (p *Publisher) byShard(msgs []*message.Message) (map[int][]*message.Message, []int) {
	byShard := make(map[int][]*message.Message, 1)
	shards := make([]int, 0, 1)
	for _, msg := range msgs {
		shard := p.cfg.Outbox.Shard(msg)
		if byShard[shard] == nil {
			shards = append(shards, shard)
		}
		byShard[shard] = append(byShard[shard], msg)
	}
	return byShard, shards
}

// gatheredMessages is the key of a batch's messages to one destination.
type gatheredMessages struct {
	publisher   *Publisher
	destination string
}

// insert writes msgs into their shards and registers the forwarder's wake-up.
func (p *Publisher) insert(ctx context.Context, uow *pgtx.UnitOfWork, destination string, msgs []*message.Message) error {
	byShard, shards := p.byShard(msgs)
	if err := p.lockShards(ctx, uow, shards); err != nil {
		return err
	}
	inserter := shardInserter{ctx: ctx, uow: uow}
	for shard, shardMsgs := range byShard {
		envelopes := forwarder.NewPublisher(inserter, forwarder.PublisherConfig{
			ForwarderTopic: p.cfg.Outbox.SQLTopic(shard),
			Marshaler:      Marshaler{},
		})
		if err := envelopes.Publish(destination, shardMsgs...); err != nil {
			return fmt.Errorf("publish to outbox %s: %w", p.cfg.Outbox.Name, err)
		}
	}
	if p.cfg.WakeUp != nil {
		uow.AfterCommit(func() { p.cfg.WakeUp(shards...) })
	}
	return nil
}
