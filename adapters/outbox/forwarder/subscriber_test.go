package forwarder

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

	"github.com/orderflow/orders/adapters/postgres/pgtx"
)

// testSubscriber reads SQL topics laid out for schemaAdapter, for the
// universal Pub/Sub suite: a watermill-sql subscriber per topic, each with
// the topic's lockingBeginner, so that subscribers of one consumer group
// take turns per topic as the forwarder's do.
type testSubscriber struct {
	db     *sql.DB
	config watermillsql.SubscriberConfig
	logger watermill.LoggerAdapter

	mu     sync.Mutex
	subs   []*watermillsql.Subscriber
	stmts  *pgtx.Statements // the leases' prepared statements
	closed bool

	// watermill-sql v3.1.0's Close can return before the channel its
	// Subscribe gave is closed (its consuming goroutine counts itself done,
	// then closes the channel), and the suite checks the channel right
	// after Close: each subscription is handed on through a channel of
	// ours, closed before Close returns.
	closing    chan struct{}
	forwarding sync.WaitGroup
}

// newTestSubscriber returns a testSubscriber. config's SchemaAdapter and
// OffsetsAdapter default to schemaAdapter and offsetsAdapter.
func newTestSubscriber(db *sql.DB, config watermillsql.SubscriberConfig, logger watermill.LoggerAdapter) (*testSubscriber, error) {
	if db == nil {
		return nil, errors.New("outbox subscriber needs a database")
	}
	if config.SchemaAdapter == nil {
		config.SchemaAdapter = schemaAdapter{}
	}
	if config.OffsetsAdapter == nil {
		config.OffsetsAdapter = offsetsAdapter{}
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	return &testSubscriber{db: db, config: config, logger: logger, closing: make(chan struct{})}, nil
}

// Subscribe reads topic from the consumer group's position.
func (s *testSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, watermillsql.ErrSubscriberClosed
	}
	if s.stmts == nil {
		stmts, err := pgtx.NewStatements(s.db)
		if err != nil {
			return nil, err
		}
		s.stmts = stmts
	}
	sub, err := watermillsql.NewSubscriber(newLockingBeginner(s.db, s.stmts, topic, s.config.ConsumerGroup, newLease(10*time.Minute), &holds{outbox: "test", topic: topic}), s.config, s.logger)
	if err != nil {
		return nil, fmt.Errorf("subscriber of %s: %w", topic, err)
	}
	s.subs = append(s.subs, sub)
	in, err := sub.Subscribe(ctx, topic)
	if err != nil {
		return nil, err
	}
	out := make(chan *message.Message)
	s.forwarding.Add(1)
	go func() {
		defer s.forwarding.Done()
		defer close(out)
		for msg := range in {
			select {
			case out <- msg:
			case <-s.closing: // nobody reads any more; the message stays unacked
			}
		}
	}()
	return out, nil
}

// SubscribeInitialize creates the topic's tables if they do not exist.
func (s *testSubscriber) SubscribeInitialize(topic string) error {
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
func (s *testSubscriber) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.closing)
	var errs []error
	for _, sub := range s.subs {
		errs = append(errs, sub.Close())
	}
	s.forwarding.Wait()
	if s.stmts != nil {
		errs = append(errs, s.stmts.Close())
	}
	return errors.Join(errs...)
}
