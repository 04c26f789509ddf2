package outbox

import (
	"database/sql"
	"errors"

	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/outbox/internal/shard"
)

// insertAdapter is the watermill-sql SchemaAdapter of the Publisher: it
// only inserts; the relay has the adapter that reads.
type insertAdapter struct{}

var errWriteOnly = errors.New("the outbox publisher's schema adapter only inserts")

func (insertAdapter) InsertQuery(topic string, msgs message.Messages) (watermillsql.Query, error) {
	return shard.InsertQuery(topic, msgs)
}

func (insertAdapter) SelectQuery(string, string, watermillsql.OffsetsAdapter) watermillsql.Query {
	return watermillsql.Query{}
}

func (insertAdapter) UnmarshalMessage(watermillsql.Scanner) (watermillsql.Row, error) {
	return watermillsql.Row{}, errWriteOnly
}

func (insertAdapter) SchemaInitializingQueries(string) []watermillsql.Query { return nil }

func (insertAdapter) SubscribeIsolationLevel() sql.IsolationLevel { return sql.LevelDefault }
