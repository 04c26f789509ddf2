package forwarder

import (
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	"github.com/orderflow/orders/internal/testenv"
)

// TestSchemaAdapterPassesTheUniversalPubSubSuite runs Watermill's universal
// Pub/Sub test suite on the real PostgreSQL against the outbox's
// SchemaAdapter and OffsetsAdapter, with consumers taking turns through the
// advisory lock as the forwarder's do. With -short (and without -race) the
// suite sends fewer messages.
func TestSchemaAdapterPassesTheUniversalPubSubSuite(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	logger := watermill.NopLogger{}

	constructor := func(t *testing.T, consumerGroup string) (message.Publisher, message.Subscriber) {
		publisher, err := watermillsql.NewPublisher(db, watermillsql.PublisherConfig{SchemaAdapter: schemaAdapter{}}, logger)
		if err != nil {
			t.Fatal(err)
		}
		subscriber, err := newTestSubscriber(db, watermillsql.SubscriberConfig{
			ConsumerGroup:  consumerGroup,
			PollInterval:   5 * time.Millisecond,
			ResendInterval: 5 * time.Millisecond,
			RetryInterval:  5 * time.Millisecond,
			SchemaAdapter:  schemaAdapter{},
			OffsetsAdapter: offsetsAdapter{CreateMissing: true},
		}, logger)
		if err != nil {
			t.Fatal(err)
		}
		return publisher, subscriber
	}

	tests.TestPubSub(t,
		tests.Features{
			ConsumerGroups:      true,
			ExactlyOnceDelivery: true,
			GuaranteedOrder:     true,
			Persistent:          true,
			// Short topics: PostgreSQL truncates long generated sequence and
			// index names to 63 bytes, and concurrent CREATE TABLEs of
			// several long names then collide on the truncated ones.
			GenerateTopicFunc: func(tctx tests.TestContext) string {
				return "t_" + strings.ReplaceAll(tctx.TestID.String(), "-", "")[:16]
			},
		},
		func(t *testing.T) (message.Publisher, message.Subscriber) { return constructor(t, "test") },
		constructor,
	)
}
