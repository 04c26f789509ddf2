package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	wmkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/decorator"
	"github.com/orderflow/orders/platform/logging"
	"github.com/orderflow/orders/ports/messaging"
)

// ConsumerConfig is what each downstream service's router needs.
type ConsumerConfig struct {
	Brokers []string
	// ConsumerGroup is the Kafka consumer group; each service has its own.
	ConsumerGroup string
	// DeadLetterTopic receives the messages that failed for good.
	DeadLetterTopic string
	// Retry of a failing message before it is dead-lettered.
	Retry messaging.RetryConfig
	// DuplicateDelivery handles every message twice (tests).
	DuplicateDelivery bool
	// Logger is the process's logger; the consumer's name is added to it.
	Logger *slog.Logger
	// Metrics records the handling of the commands a consumer issues
	// through an application it builds itself (the saga's); nil records
	// nothing.
	Metrics decorator.MetricsClient
	// Registerer, when set, gets the consumer's message counters, handler
	// durations and lag per partition (adapters/metrics), and Watermill's
	// router metrics.
	Registerer prometheus.Registerer
	// CloseTimeout bounds how long the router waits for the messages in
	// flight when it stops; 0: the router's default (30s).
	CloseTimeout time.Duration
	// BatchSize bounds how many waiting messages a consumer handles in
	// one transaction; 0: messaging.DefaultBatchSize (64; 1: one at a time).
	BatchSize int
	// BatchLinger: messaging.Config.BatchLinger.
	BatchLinger time.Duration
	// Outbox is the outbox the consumer's handlers write, when it is
	// sharded: a batch takes the writer locks of all its shards first, as
	// its members' orders are not known when it begins. Without it a
	// batch whose members write two shards fails, and they run alone.
	Outbox *outbox.Publisher
	// Subscriber, when set, delivers the consumer's messages instead of a
	// Kafka consumer group: the benchmark hands one order's messages to
	// the same router and handlers in memory, to capture the statements
	// they run (cmd/orders-bench). Dead letters still go to Kafka.
	Subscriber message.Subscriber
}

func (c ConsumerConfig) validate() error {
	if len(c.Brokers) == 0 || c.ConsumerGroup == "" || c.DeadLetterTopic == "" || c.Logger == nil {
		return errors.New("consumer needs brokers, a consumer group, a dead-letter topic and a logger")
	}
	return nil
}

// Consumer is one service's Watermill router with the Kafka clients it
// owns.
type Consumer struct {
	Router      *message.Router
	deadLetters message.Publisher
	lag         *lagCollector // nil without a Registerer
}

// Run runs the router until ctx ends, then closes the router's clients.
func (c *Consumer) Run(ctx context.Context) error {
	err := c.Router.Run(ctx)
	if cerr := c.deadLetters.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close dead-letter publisher: %w", cerr))
	}
	return errors.Join(err, c.lag.close())
}

// abandon closes the clients of a consumer that will not run.
func (c *Consumer) abandon(sub message.Subscriber) {
	_ = sub.Close()
	_ = c.deadLetters.Close()
	_ = c.lag.close()
}

// Running is closed once the router's handlers are subscribed.
func (c *Consumer) Running() <-chan struct{} { return c.Router.Running() }

// newConsumer returns the router of a consumer of topics, its Kafka
// subscriber (one consumer group) and its dead-letter publisher.
// With db, messages that wait are handled in batches on it: those of
// batchEvents, or all when it is empty.
func newConsumer(name string, cfg ConsumerConfig, lot messaging.ParkingLot, db *sql.DB, batchEvents []string, topics ...string) (*Consumer, message.Subscriber, error) {
	if err := cfg.validate(); err != nil {
		return nil, nil, err
	}
	logger := cfg.Logger.With("consumer", name)
	wlogger := logging.Watermill(logger)
	counters, lag, err := newConsumerMetrics(name, cfg, logger, lot, topics)
	if err != nil {
		return nil, nil, err
	}
	c := &Consumer{lag: lag}
	if c.deadLetters, err = kafka.NewDeadLetterPublisher(cfg.Brokers, wlogger); err != nil {
		_ = lag.close()
		return nil, nil, err
	}
	c.Router, err = messaging.NewRouter(messaging.Config{
		Consumer: name, DeadLetterTopic: cfg.DeadLetterTopic, Retry: cfg.Retry, DuplicateDelivery: cfg.DuplicateDelivery,
		Metrics: counters, CloseTimeout: cfg.CloseTimeout, BeginBatch: beginBatch(db, cfg.Outbox), BatchSize: cfg.BatchSize, BatchLinger: cfg.BatchLinger,
		BatchEvents: batchEvents,
	}, lot, c.deadLetters, logger)
	if err != nil {
		_ = c.deadLetters.Close()
		_ = lag.close()
		return nil, nil, err
	}
	addRouterMetrics(c.Router, cfg.Registerer)
	if cfg.Subscriber != nil {
		return c, cfg.Subscriber, nil
	}
	subscriber, err := newSubscriber(name, cfg, wlogger)
	if err != nil {
		_ = c.deadLetters.Close()
		_ = lag.close()
		return nil, nil, err
	}
	return c, subscriber, nil
}

// beginBatch starts batches on db, announced as writers of every shard
// of box (when given), or is nil without a db.
func beginBatch(db *sql.DB, box *outbox.Publisher) messaging.BeginBatch {
	if db == nil {
		return nil
	}
	return func(ctx context.Context, partitionKeys []string) (messaging.BatchTransaction, error) {
		if box == nil {
			return pgtx.Begin(ctx, db, partitionKeys)
		}
		return pgtx.Begin(ctx, db, partitionKeys, func(uow *pgtx.UnitOfWork) error { return box.AnnounceAll(ctx, uow) })
	}
}

// newSubscriber returns a Kafka subscriber in the consumer group. A new
// group starts from the oldest offset, so no event published before the
// service first ran is missed. Offsets are marked as each message is
// acknowledged and committed every second; a crash redelivers at most the
// last second's messages, which the inbox recognises.
func newSubscriber(name string, cfg ConsumerConfig, logger watermill.LoggerAdapter) (*wmkafka.Subscriber, error) {
	sc := wmkafka.DefaultSaramaSubscriberConfig()
	sc.Version = kafka.ProtocolVersion
	sc.ClientID = "orders-" + name
	sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	sc.Consumer.Offsets.AutoCommit.Interval = time.Second
	sc.Metadata.Retry.Backoff = 250 * time.Millisecond
	sub, err := wmkafka.NewSubscriber(wmkafka.SubscriberConfig{
		Brokers:               cfg.Brokers,
		Unmarshaler:           kafka.Marshaler(),
		OverwriteSaramaConfig: sc,
		ConsumerGroup:         cfg.ConsumerGroup,
		NackResendSleep:       100 * time.Millisecond,
		ReconnectRetrySleep:   time.Second,
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("kafka subscriber: %w", err)
	}
	return sub, nil
}
