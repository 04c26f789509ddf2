// Package relay moves the messages of an outbox to Kafka: per shard, a
// Watermill forwarder (components/forwarder) reading the shard with a
// watermill-sql subscriber, publishing through a pipeline to the Kafka
// producer, woken by the writers' NOTIFYs. The loop is in this file
// (Relay.Run); docs/forwarder.md has the design and its guarantees.
package relay

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"
	"golang.org/x/sync/errgroup"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/adapters/outbox/internal/shard"
)

// Config configures the relay of one outbox.
type Config struct {
	// Outbox names the outbox and its shard count, which must be the one
	// recorded in the database.
	Outbox outbox.Config
	// ConsumerGroup names the forwarder's position in each shard. Every
	// instance uses the same one: they take turns on each shard, so each
	// message is forwarded once in the normal case. Defaults to
	// outbox.DefaultConsumerGroup.
	ConsumerGroup string
	// BatchSize is how many rows one query reads. Defaults to
	// DefaultBatchSize.
	BatchSize int
	// IdlePollInterval is how long a shard with nothing to forward waits for
	// a wake-up before it looks again anyway; also how soon a standby
	// instance notices that the active one is gone. Defaults to 1s.
	IdlePollInterval time.Duration
	// AckDeadline is how long one message may take to reach Kafka, retries
	// included, before the shard reads it again. Defaults to 30s.
	AckDeadline time.Duration
	// RetryMin and RetryMax bound the wait between publishing attempts.
	// Default to 100ms and 5s.
	RetryMin, RetryMax time.Duration
	// ListenURL, when set, is the database URL the forwarder LISTENs on for
	// the wake-ups a Notifier sends. Without it, it relies on Wake and
	// polling.
	ListenURL string
	// Retention is the age after which forwarded rows are deleted; 0 keeps
	// them. RetentionInterval is how often that runs (default 1 minute).
	Retention         time.Duration
	RetentionInterval time.Duration
	// Metrics, when set, counts the relay's work (one Metrics serves every
	// outbox of a process: its series are labelled by outbox).
	Metrics *Metrics
	// Publisher is the Kafka publisher (keyed by the partition key) all
	// shards share; the caller closes it.
	Publisher message.Publisher
	// PublisherPerShard, when set, is called once per shard for a publisher
	// of its own (a Kafka producer with its own connection, so that the
	// shards' sends do not wait for one another's requests), instead of
	// Publisher; the relay closes them when Run ends.
	PublisherPerShard func() (message.Publisher, error)
	// CreateMissingPositions creates a missing consumer-group position at
	// the start of a shard instead of refusing to start: for tests.
	CreateMissingPositions bool
}

func (c *Config) setDefaults() {
	c.Outbox, _ = c.Outbox.WithDefaults() // Validate reports its error
	if c.ConsumerGroup == "" {
		c.ConsumerGroup = outbox.DefaultConsumerGroup
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.IdlePollInterval <= 0 {
		c.IdlePollInterval = time.Second
	}
	if c.AckDeadline <= 0 {
		c.AckDeadline = 30 * time.Second
	}
	if c.RetryMin <= 0 {
		c.RetryMin = 100 * time.Millisecond
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = max(5*time.Second, c.RetryMin)
	}
	if c.RetentionInterval <= 0 {
		c.RetentionInterval = time.Minute
	}
}

// Validate reports a config the relay cannot run with.
func (c Config) Validate() error {
	if err := c.Outbox.Validate(); err != nil {
		return err
	}
	if c.Publisher == nil && c.PublisherPerShard == nil {
		return errors.New("relay needs a Publisher or a PublisherPerShard")
	}
	return nil
}

// Relay moves the messages of an outbox to Kafka: one Watermill forwarder
// per shard (a watermill-sql subscriber on the shard's SQL topic,
// publishing to the Kafka topic each envelope names), all in this process,
// plus the wake-up listener and the retention.
type Relay struct {
	db     *sql.DB
	cfg    Config
	logger watermill.LoggerAdapter

	done     chan struct{}
	backoffs []*backoffManager
	shards   []*forwarder.Forwarder
	owned    []message.Publisher // closed when Run ends
}

// NewRelay returns the relay of cfg.Outbox.
func NewRelay(db *sql.DB, cfg Config, logger watermill.LoggerAdapter) (*Relay, error) {
	if db == nil {
		return nil, errors.New("relay needs a database")
	}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	f := &Relay{db: db, cfg: cfg, logger: logger, done: make(chan struct{})}
	for _, topic := range cfg.Outbox.SQLTopics() {
		if err := f.addShard(topic); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (f *Relay) addShard(topic string) error {
	var onState func(shard.State)
	if f.cfg.Metrics != nil {
		gauge := f.cfg.Metrics.stalled.WithLabelValues(f.cfg.Outbox.Name, topic)
		onState = func(s shard.State) {
			if s.Stalled() {
				gauge.Set(1)
			} else {
				gauge.Set(0)
			}
		}
	}
	publisher := f.cfg.Publisher
	if f.cfg.PublisherPerShard != nil {
		var err error
		if publisher, err = f.cfg.PublisherPerShard(); err != nil {
			return fmt.Errorf("publisher of %s: %w", topic, err)
		}
		f.owned = append(f.owned, publisher)
	}
	pipe := newPipeline(publisher, newObserver(f.cfg.Metrics, f.cfg.Outbox.Name, topic))
	backoff := newBackoffManager(f.db, topic, f.cfg.ConsumerGroup, f.cfg.IdlePollInterval, f.done, onState, f.logger)
	backoff.publishFailure = pipe.takeFailure
	backoff.retryMin, backoff.retryMax = f.cfg.RetryMin, f.cfg.RetryMax
	if f.cfg.Metrics != nil {
		backoff.retried = f.cfg.Metrics.retried.WithLabelValues(f.cfg.Outbox.Name, topic)
	}
	ackDeadline := f.cfg.AckDeadline
	// Watermill's subscriber and router log every message at trace and
	// debug level; quiet keeps their info and errors only.
	quietLogger := quiet(f.logger)
	held := &holds{outbox: f.cfg.Outbox.Name, topic: topic}
	subscriber, err := watermillsql.NewSubscriber(newLockingBeginner(f.db, topic, f.cfg.ConsumerGroup, held), watermillsql.SubscriberConfig{
		ConsumerGroup:  f.cfg.ConsumerGroup,
		AckDeadline:    &ackDeadline,
		PollInterval:   f.cfg.IdlePollInterval,
		ResendInterval: f.cfg.RetryMin,
		RetryInterval:  f.cfg.RetryMin,
		BackoffManager: backoff,
		SchemaAdapter:  schemaAdapter{BatchSize: f.cfg.BatchSize},
		OffsetsAdapter: offsetsAdapter{CreateMissing: f.cfg.CreateMissingPositions, beforeAck: pipe.barrier},
	}, quietLogger)
	if err != nil {
		return fmt.Errorf("outbox subscriber of %s: %w", topic, err)
	}
	d := &delivery{
		outbox: f.cfg.Outbox.Name, topic: topic, db: f.db, holds: held, metrics: f.cfg.Metrics,
		retryMin: f.cfg.RetryMin, retryMax: f.cfg.RetryMax, logger: f.logger,
	}
	fwd, err := forwarder.NewForwarder(subscriber, pipe, quietLogger, forwarder.Config{
		ForwarderTopic: topic,
		Middlewares:    []message.HandlerMiddleware{d.middleware},
		Marshaler:      outbox.Marshaler{}, // the frames the outbox Publisher writes
	})
	if err != nil {
		return fmt.Errorf("forwarder of %s: %w", topic, err)
	}
	f.backoffs = append(f.backoffs, backoff)
	f.shards = append(f.shards, fwd)
	return nil
}

// Wake makes every shard look for new messages now: the in-process
// wake-up, for a writer in the same process.
func (f *Relay) Wake() {
	for _, b := range f.backoffs {
		b.Wake()
	}
}

// Run checks the outbox (CheckLayout: a shard count that differs from the
// database's, or a stalled shard, is an error) and forwards until ctx ends.
func (f *Relay) Run(ctx context.Context) error {
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
		err = errors.Join(err, p.Close())
	}
	return err
}
