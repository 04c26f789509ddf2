// Package outbox writes messages into the transactional outbox and runs the
// forwarder that moves them to Kafka.
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
)

// SQLTopic is the watermill-sql topic of the outbox. Its tables are created
// by migrations/00002_outbox.sql.
const SQLTopic = "orders_outbox"

// schemaAdapter is watermill-sql's PostgreSQL schema, shared by the
// publisher and the forwarder's subscriber.
var schemaAdapter = watermillsql.DefaultPostgreSQLSchema{}

// Publisher writes messages into the outbox on the caller's transaction,
// each wrapped in the forwarder's envelope that names its Kafka topic.
type Publisher struct {
	logger watermill.LoggerAdapter
}

// NewPublisher returns an outbox publisher.
func NewPublisher(logger watermill.LoggerAdapter) *Publisher {
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	return &Publisher{logger: logger}
}

// Publish inserts msgs into the outbox within tx, for the forwarder to send
// to the Kafka topic destination once tx commits. Nothing is sent if tx
// rolls back.
func (p *Publisher) Publish(_ context.Context, tx *sql.Tx, destination string, msgs ...*message.Message) error {
	if tx == nil {
		return errors.New("outbox publish needs a transaction")
	}
	sqlPublisher, err := watermillsql.NewPublisher(tx, watermillsql.PublisherConfig{
		SchemaAdapter:        schemaAdapter,
		AutoInitializeSchema: false, // DDL on the business transaction would commit it
	}, p.logger)
	if err != nil {
		return fmt.Errorf("outbox publisher: %w", err)
	}
	envelopes := forwarder.NewPublisher(sqlPublisher, forwarder.PublisherConfig{ForwarderTopic: SQLTopic})
	if err := envelopes.Publish(destination, msgs...); err != nil {
		return fmt.Errorf("publish to outbox: %w", err)
	}
	return nil
}
