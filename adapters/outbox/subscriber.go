package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
)

// Subscriber reads SQL topics laid out for SchemaAdapter, for consumers
// other than the forwarder (which builds its subscribers itself): a
// watermill-sql subscriber per topic, each with the topic's LockingBeginner,
// so that subscribers of one consumer group take turns per topic.
type Subscriber struct {
	db     *sql.DB
	config watermillsql.SubscriberConfig
	logger watermill.LoggerAdapter

	mu     sync.Mutex
	subs   []*watermillsql.Subscriber
	closed bool
}

// NewSubscriber returns a Subscriber. config's SchemaAdapter and
// OffsetsAdapter default to SchemaAdapter and OffsetsAdapter.
func NewSubscriber(db *sql.DB, config watermillsql.SubscriberConfig, logger watermill.LoggerAdapter) (*Subscriber, error) {
	if db == nil {
		return nil, errors.New("outbox subscriber needs a database")
	}
	if config.SchemaAdapter == nil {
		config.SchemaAdapter = SchemaAdapter{}
	}
	if config.OffsetsAdapter == nil {
		config.OffsetsAdapter = OffsetsAdapter{}
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	return &Subscriber{db: db, config: config, logger: logger}, nil
}

// Subscribe reads topic from the consumer group's position.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, watermillsql.ErrSubscriberClosed
	}
	sub, err := watermillsql.NewSubscriber(newLockingBeginner(s.db, topic, s.config.ConsumerGroup), s.config, s.logger)
	if err != nil {
		return nil, fmt.Errorf("subscriber of %s: %w", topic, err)
	}
	s.subs = append(s.subs, sub)
	return sub.Subscribe(ctx, topic)
}

// SubscribeInitialize creates the topic's tables if they do not exist.
func (s *Subscriber) SubscribeInitialize(topic string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, q := range s.config.SchemaAdapter.SchemaInitializingQueries(topic) {
		if _, err := s.db.ExecContext(ctx, q.Query, q.Args...); err != nil {
			return fmt.Errorf("initialise %s: %w", topic, err)
		}
	}
	return nil
}

// Close closes every subscription.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var errs []error
	for _, sub := range s.subs {
		errs = append(errs, sub.Close())
	}
	return errors.Join(errs...)
}
