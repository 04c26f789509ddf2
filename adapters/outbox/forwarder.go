package outbox

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"
)

// ForwarderConfig configures the forwarder.
type ForwarderConfig struct {
	// ConsumerGroup names the forwarder's offset row in the outbox. Every
	// instance of the forwarder uses the same one: they take turns through
	// the row lock, so each message is forwarded once in the normal case.
	ConsumerGroup string
	// PollInterval is how long the forwarder waits after finding nothing.
	PollInterval time.Duration
	// RetryInterval is how long it waits before resending a message that
	// Kafka refused, and after a database error.
	RetryInterval time.Duration
}

func (c *ForwarderConfig) setDefaults() {
	if c.ConsumerGroup == "" {
		c.ConsumerGroup = "orders-forwarder"
	}
	if c.PollInterval == 0 {
		c.PollInterval = 100 * time.Millisecond
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = time.Second
	}
}

// NewForwarder returns Watermill's forwarder reading the outbox SQL topic
// and publishing each unwrapped message to the topic its envelope names.
// A message is acknowledged on the SQL side, and the offset moves past it,
// only after the publisher returned without error.
func NewForwarder(db *sql.DB, publisher message.Publisher, cfg ForwarderConfig, logger watermill.LoggerAdapter) (*forwarder.Forwarder, error) {
	if db == nil || publisher == nil {
		return nil, errors.New("forwarder needs a database and a publisher")
	}
	cfg.setDefaults()
	subscriber, err := watermillsql.NewSubscriber(db, watermillsql.SubscriberConfig{
		ConsumerGroup:  cfg.ConsumerGroup,
		PollInterval:   cfg.PollInterval,
		ResendInterval: cfg.RetryInterval,
		RetryInterval:  cfg.RetryInterval,
		SchemaAdapter:  schemaAdapter,
		OffsetsAdapter: watermillsql.DefaultPostgreSQLOffsetsAdapter{},
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("outbox subscriber: %w", err)
	}
	fwd, err := forwarder.NewForwarder(subscriber, publisher, logger, forwarder.Config{
		ForwarderTopic: SQLTopic,
	})
	if err != nil {
		return nil, fmt.Errorf("forwarder: %w", err)
	}
	return fwd, nil
}
