package forwarder

import (
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/outbox"
)

// Config configures the forwarder of one outbox.
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
	// SessionTimeout is how long PostgreSQL keeps a shard's transaction,
	// and so its lock, for a forwarder that stopped talking to it (frozen or
	// cut off): the forwarder's transactions set
	// idle_in_transaction_session_timeout, statement_timeout and
	// tcp_user_timeout to it, and a healthy forwarder that waits longer (for
	// Kafka) pings its transaction every third of it. A standby takes over
	// within SessionTimeout + IdlePollInterval. Defaults to
	// DefaultSessionTimeout.
	SessionTimeout time.Duration
	// StallAfter is how long a shard with a backlog may go without its
	// position moving before the forwarder reports it as stalled (metric and
	// WARN naming the lock's holder). Defaults to DefaultStallAfter.
	StallAfter time.Duration
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
	// Metrics, when set, counts the forwarder's work (one Metrics serves every
	// outbox of a process: its series are labelled by outbox).
	Metrics *Metrics
	// Publisher is the Kafka publisher (keyed by the partition key) all
	// shards share; the caller closes it.
	Publisher message.Publisher
	// PublisherPerShard, when set, is called once per shard for a publisher
	// of its own (a Kafka producer with its own connection, so that the
	// shards' sends do not wait for one another's requests), instead of
	// Publisher; the forwarder closes them when Run ends.
	PublisherPerShard func() (message.Publisher, error)
	// CreateMissingPositions creates a missing consumer-group position at
	// the start of a shard instead of refusing to start: for tests.
	CreateMissingPositions bool
}

// Defaults of Config. With them a frozen forwarder's shards are taken over
// within about 6 s (docs/forwarder.md, Guarantees).
const (
	DefaultSessionTimeout = 5 * time.Second
	DefaultStallAfter     = 10 * time.Second
)

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
	if c.SessionTimeout <= 0 {
		c.SessionTimeout = DefaultSessionTimeout
	}
	if c.StallAfter <= 0 {
		c.StallAfter = DefaultStallAfter
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

// Validate reports a config the forwarder cannot run with.
func (c Config) Validate() error {
	if err := c.Outbox.Validate(); err != nil {
		return err
	}
	if c.SessionTimeout > 0 && c.SessionTimeout < 300*time.Millisecond {
		return errors.New("forwarder SessionTimeout below 300ms: pings would flood the database")
	}
	if c.Publisher == nil && c.PublisherPerShard == nil {
		return errors.New("forwarder needs a Publisher or a PublisherPerShard")
	}
	return nil
}
