// Package forwarder moves the messages of an outbox to Kafka: per shard, a
// Watermill forwarder (components/forwarder) reading the shard with a
// watermill-sql subscriber, publishing through a pipeline to the Kafka
// producer, woken by the writers' NOTIFYs. The loop is in this file
// (Forwarder.Run); docs/forwarder.md has the design and its guarantees.
package forwarder

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	watermillforwarder "github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"
	"golang.org/x/sync/errgroup"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
)

// Forwarder moves the messages of an outbox to Kafka: one Watermill forwarder
// per shard (a watermill-sql subscriber on the shard's SQL topic,
// publishing to the Kafka topic each envelope names), all in this process,
// plus the wake-up listener and the retention.
type Forwarder struct {
	db     *sql.DB
	stmts  *pgtx.Statements // the shards' own statements, prepared
	cfg    Config
	logger watermill.LoggerAdapter

	done     chan struct{}
	leases   []*lease
	backoffs []*backoffManager
	shards   []*watermillforwarder.Forwarder
	owned    []*pipeline // whose producers Run closes when it ends
}

// New returns the forwarder of cfg.Outbox.
func New(db *sql.DB, cfg Config, logger watermill.LoggerAdapter) (*Forwarder, error) {
	if db == nil {
		return nil, errors.New("forwarder needs a database")
	}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	stmts, err := pgtx.NewStatements(db)
	if err != nil {
		return nil, err
	}
	f := &Forwarder{db: db, stmts: stmts, cfg: cfg, logger: logger, done: make(chan struct{})}
	for _, topic := range cfg.Outbox.SQLTopics() {
		if err := f.addShard(topic); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (f *Forwarder) addShard(topic string) error {
	lease := newLease(f.cfg.SessionTimeout)
	publisher := f.cfg.Publisher
	if f.cfg.PublisherPerShard != nil {
		var err error
		if publisher, err = f.cfg.PublisherPerShard(); err != nil {
			return fmt.Errorf("publisher of %s: %w", topic, err)
		}
	}
	pipe := newPipeline(publisher, newObserver(f.cfg.Metrics, f.cfg.Outbox.Name, topic))
	pipe.lost = lease.isLost
	// A producer that leaves records unanswered for the ack deadline is
	// given up (a shard's own one is replaced), instead of being waited
	// for with the shard's lease kept alive for ever.
	pipe.answerTimeout = f.cfg.AckDeadline
	if f.cfg.PublisherPerShard != nil {
		pipe.renew = f.cfg.PublisherPerShard
		f.owned = append(f.owned, pipe)
	}
	backoff := newBackoffManager(f.stmts.In(nil), topic, f.cfg.ConsumerGroup, f.cfg.IdlePollInterval, f.done, lease, f.logger)
	backoff.publishFailure = pipe.takeFailure
	backoff.retryMin, backoff.retryMax = f.cfg.RetryMin, f.cfg.RetryMax
	backoff.batchSize = f.cfg.BatchSize
	if f.cfg.Metrics != nil {
		backoff.retried = f.cfg.Metrics.retried.WithLabelValues(f.cfg.Outbox.Name, topic)
	}
	ackDeadline := f.cfg.AckDeadline
	// Watermill's subscriber and router log every message at trace and
	// debug level; quiet keeps their info and errors only.
	quietLogger := quiet(f.logger)
	held := &holds{outbox: f.cfg.Outbox.Name, topic: topic}
	subscriber, err := watermillsql.NewSubscriber(newLockingBeginner(f.db, f.stmts, topic, f.cfg.ConsumerGroup, lease, held), watermillsql.SubscriberConfig{
		ConsumerGroup:  f.cfg.ConsumerGroup,
		AckDeadline:    &ackDeadline,
		PollInterval:   f.cfg.IdlePollInterval,
		ResendInterval: f.cfg.RetryMin,
		RetryInterval:  f.cfg.RetryMin,
		BackoffManager: backoff,
		SchemaAdapter:  schemaAdapter{BatchSize: f.cfg.BatchSize, lease: lease, holds: held},
		OffsetsAdapter: offsetsAdapter{CreateMissing: f.cfg.CreateMissingPositions, beforeAck: pipe.barrier},
	}, quietLogger)
	if err != nil {
		return fmt.Errorf("outbox subscriber of %s: %w", topic, err)
	}
	h := &shardHandler{
		outbox: f.cfg.Outbox.Name, topic: topic, db: f.db, holds: held, metrics: f.cfg.Metrics, lease: lease,
		retryMin: f.cfg.RetryMin, retryMax: f.cfg.RetryMax, logger: f.logger,
	}
	fwd, err := watermillforwarder.NewForwarder(subscriber, pipe, quietLogger, watermillforwarder.Config{
		ForwarderTopic: topic,
		Middlewares:    []message.HandlerMiddleware{h.middleware},
		Marshaler:      outbox.Marshaler{}, // the frames the outbox Publisher writes
	})
	if err != nil {
		return fmt.Errorf("forwarder of %s: %w", topic, err)
	}
	f.leases = append(f.leases, lease)
	f.backoffs = append(f.backoffs, backoff)
	f.shards = append(f.shards, fwd)
	return nil
}

// Wake makes the given shards look for new messages now, every shard when
// none is given: the in-process wake-up, for a writer in the same process.
// Waking only the shards written matters: a shard woken for nothing runs
// an empty cycle of six statements.
func (f *Forwarder) Wake(shards ...int) {
	if len(shards) == 0 {
		for _, b := range f.backoffs {
			b.Wake()
		}
		return
	}
	for _, s := range shards {
		if s >= 0 && s < len(f.backoffs) {
			f.backoffs[s].Wake()
		}
	}
}

// Run checks the outbox (CheckLayout: a shard count that differs from the
// database's, or a stalled shard, is an error) and forwards until ctx ends.
func (f *Forwarder) Run(ctx context.Context) error {
	if !f.cfg.CreateMissingPositions {
		if err := admin.CheckLayout(ctx, f.db, f.cfg.Outbox, f.cfg.ConsumerGroup); err != nil {
			return err
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	go func() {
		<-gctx.Done()
		close(f.done) // ends the shards' waits, so that they close promptly
	}()
	for _, fwd := range f.shards {
		g.Go(func() error { return fwd.Run(gctx) })
	}
	for _, t := range f.leases {
		g.Go(func() error {
			t.keepAlive(gctx)
			return nil
		})
	}
	watcher := &stallWatcher{
		db: f.stmts.In(nil), outbox: f.cfg.Outbox.Name, group: f.cfg.ConsumerGroup, topics: f.cfg.Outbox.SQLTopics(),
		after: f.cfg.StallAfter, logger: f.logger,
	}
	if f.cfg.Metrics != nil {
		watcher.gauge, watcher.blockerAge = f.cfg.Metrics.stalled, f.cfg.Metrics.blockerAge
	}
	g.Go(func() error {
		watcher.run(gctx)
		return nil
	})
	if f.cfg.ListenURL != "" {
		g.Go(func() error {
			if err := listen(gctx, f.cfg.ListenURL, f.cfg.Outbox.Name, f.Wake, f.logger); err != nil {
				return fmt.Errorf("listen for outbox wake-ups: %w", err)
			}
			return nil
		})
	}
	if f.cfg.Retention > 0 {
		g.Go(func() error {
			f.runRetention(gctx)
			return nil
		})
	}
	err := g.Wait()
	for _, p := range f.owned {
		err = errors.Join(err, p.closeProducer())
	}
	return errors.Join(err, f.stmts.Close())
}
