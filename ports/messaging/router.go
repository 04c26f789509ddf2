package messaging

import (
	"errors"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/orderflow/orders/platform/correlation"
	"github.com/orderflow/orders/platform/logging"
	"github.com/orderflow/orders/platform/tracing"
)

// Config configures one service's router.
type Config struct {
	// Consumer names the consumer in its inbox and parking lot, e.g.
	// "inventory". Renaming it forgets which messages were applied.
	Consumer string
	// DeadLetterTopic receives the messages that failed for good.
	DeadLetterTopic string
	// Retry is how often and how patiently a failing message is retried
	// before it is dead-lettered.
	Retry RetryConfig
	// DuplicateDelivery handles every message twice (Watermill's
	// Duplicator): for tests that prove the handlers idempotent.
	DuplicateDelivery bool
	// CloseTimeout bounds how long Close waits for running handlers.
	CloseTimeout time.Duration
	// Metrics counts the consumer's messages; nil counts nothing.
	Metrics Metrics
	// BeginBatch starts the transaction of a batch on the consumer's
	// database; nil handles each message in its own transaction.
	BeginBatch BeginBatch
	// BatchSize bounds the messages of one batch (default 1: none).
	BatchSize int
	// BatchEvents are the event names (the type header) of the messages
	// that may run in a batch; the others run alone. Empty: every message.
	BatchEvents []string
	// BatchLinger is how long a batch waits for more messages after the
	// one before it, when fewer than BatchSize wait (default 2ms).
	BatchLinger time.Duration
}

// RetryConfig is the exponential backoff of a failing message.
type RetryConfig struct {
	MaxRetries      int
	InitialInterval time.Duration
	MaxInterval     time.Duration
}

func (c *Config) setDefaults() {
	if c.Retry.MaxRetries == 0 {
		c.Retry.MaxRetries = 5
	}
	if c.Retry.InitialInterval == 0 {
		c.Retry.InitialInterval = 100 * time.Millisecond
	}
	if c.Retry.MaxInterval == 0 {
		c.Retry.MaxInterval = 5 * time.Second
	}
	if c.CloseTimeout == 0 {
		c.CloseTimeout = 30 * time.Second
	}
	if c.Metrics == nil {
		c.Metrics = noMetrics{}
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.BatchLinger == 0 {
		c.BatchLinger = DefaultBatchLinger
	}
}

// DefaultBatchLinger is the default BatchLinger.
const DefaultBatchLinger = 2 * time.Millisecond

// DefaultBatchSize is the default bound of a consumer's batch. The
// partitions a consumer holds bound it first (one message in flight each);
// why batches are on: ADR-0006.
const DefaultBatchSize = 64

// Validate reports a config the router cannot run with.
func (c Config) Validate() error {
	var err error
	if c.Consumer == "" {
		err = errors.Join(err, errors.New("missing consumer name"))
	}
	if c.DeadLetterTopic == "" {
		err = errors.Join(err, errors.New("missing dead-letter topic"))
	}
	if c.BatchSize < 0 {
		err = errors.Join(err, errors.New("negative batch size"))
	}
	if c.Retry.MaxRetries < 0 {
		err = errors.Join(err, errors.New("negative retry count"))
	}
	return err
}

// NewRouter returns a Watermill router whose every handler runs in one
// middleware chain, outermost first: tracing, PoisonQueue, countOutcome,
// parking, Retry, observeRuns, Recoverer, correlation, (Duplicator),
// requireReadable, batching. Messages no handler wants are acknowledged
// before it (wantedOnly); a partition's messages are handled one at a
// time. What each does and why: docs/saga.md, "Failures: retries, dead
// letters, parking", "Exactly-once effects", "Ordering" and "Batches".
func NewRouter(cfg Config, lot ParkingLot, deadLetters message.Publisher, logger *slog.Logger) (*message.Router, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if lot == nil || deadLetters == nil {
		return nil, errors.New("router needs a parking lot and a dead-letter publisher")
	}
	if logger == nil {
		logger = slog.Default()
	}
	wlogger := logging.Watermill(logger)
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: cfg.CloseTimeout}, wlogger)
	if err != nil {
		return nil, err
	}
	poison, err := middleware.PoisonQueueWithFilter(deadLetters, cfg.DeadLetterTopic, deadLetterable)
	if err != nil {
		return nil, err
	}
	retry := middleware.Retry{
		MaxRetries:          cfg.Retry.MaxRetries,
		InitialInterval:     cfg.Retry.InitialInterval,
		MaxInterval:         cfg.Retry.MaxInterval,
		Multiplier:          2,
		RandomizationFactor: 0.2,
		ShouldRetry:         func(p middleware.RetryParams) bool { return retryable(p.Err) },
		Logger:              wlogger,
	}
	// Outermost: the message's span covers its retries, parking and
	// dead-lettering, and continues the trace its headers carry.
	router.AddMiddleware(tracing.Consumer(cfg.Consumer, eventName))
	router.AddMiddleware(
		poison,
		countOutcome(cfg.Consumer, cfg.Metrics),
		parking(cfg.Consumer, lot, cfg.Metrics, logger),
		retry.Middleware,
		observeRuns(cfg.Consumer, cfg.Metrics),
		middleware.Recoverer,
		correlation.Watermill,
	)
	if cfg.DuplicateDelivery {
		router.AddMiddleware(middleware.Duplicator)
	}
	router.AddMiddleware(requireReadable)
	if cfg.BeginBatch != nil && cfg.BatchSize > 1 {
		router.AddMiddleware(newBatching(cfg.BeginBatch, cfg.BatchSize, cfg.BatchLinger, cfg.BatchEvents, func(size int, committed bool) {
			cfg.Metrics.BatchEnded(cfg.Consumer, size, committed)
		}).middleware)
	}
	return router, nil
}

// newEventProcessor returns the cqrs event group processor of a router:
// one group per subscribed topic, each group one router handler on one
// subscription, so that one order's events, whatever their type, are
// handled in order. Events that no handler of the group wants are
// acknowledged by the group's subscriber before the router sees them
// (wantedOnly), or else by the processor; unreadable ones never get here
// (requireReadable).
func newEventProcessor(router *message.Router, subscriber message.Subscriber, topics map[string]string, logger *slog.Logger) (*cqrs.EventGroupProcessor, error) {
	return cqrs.NewEventGroupProcessorWithConfig(router, cqrs.EventGroupProcessorConfig{
		GenerateSubscribeTopic: func(p cqrs.EventGroupProcessorGenerateSubscribeTopicParams) (string, error) {
			topic, ok := topics[p.EventGroupName]
			if !ok {
				return "", errors.New("no topic for handler group " + p.EventGroupName)
			}
			return topic, nil
		},
		SubscriberConstructor: func(p cqrs.EventGroupProcessorSubscriberConstructorParams) (message.Subscriber, error) {
			return newWantedOnly(subscriber, p.EventGroupHandlers), nil
		},
		AckOnUnknownEvent: true,
		Marshaler:         marshaler{},
		Logger:            logging.Watermill(logger),
	})
}
