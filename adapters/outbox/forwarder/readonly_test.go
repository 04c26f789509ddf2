package forwarder_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/internal/testenv"
)

// TestAForwarderThatCannotRecordItsPositionSendsNothing takes UPDATE on the
// shard's positions away from the forwarder's role while orders are written:
// the forwarder sends nothing, rather than send a batch whose position it
// cannot record again and again; once the role may write, every event
// goes, once. (A hot standby refuses the forwarder's READ WRITE transaction
// at its start, and lib/pq begins every transaction READ WRITE, so
// default_transaction_read_only alone does not stop it from writing.)
func TestAForwarderThatCannotRecordItsPositionSendsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 1)
	const role = "orders_app"
	forwarderURL := testenv.RoleURL(t, dbURL, role)
	forwarderDB, err := postgres.Open(ctx, forwarderURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = forwarderDB.Close() })
	startForwarder(t, forwarderDB, forwarderURL, brokers, forwarder.Config{IdlePollInterval: 50 * time.Millisecond})
	pub := testenv.OutboxPublisher(t, outbox.Orders)
	publish(t, db, pub, topic, newMessage(t, "order-1", 1))
	readUntil(t, brokers, topic, "order-1", 20*time.Second, 1)

	mayUpdatePositions(t, db, role, false)
	for v := 2; v <= 4; v++ {
		publish(t, db, pub, topic, newMessage(t, "order-1", v))
	}
	time.Sleep(3 * time.Second)
	if n := len(readEvents(t, brokers, topic, 0, 0)); n != 1 {
		t.Fatalf("%d records on the topic while the forwarder could not record its position, want 1 (none sent)", n)
	}

	mayUpdatePositions(t, db, role, true)
	readUntil(t, brokers, topic, "order-1", 30*time.Second, 4)
	if dup := checkDelivery(t, readEvents(t, brokers, topic, 4, 0), map[string]int{"order-1": 4}); dup > 0 {
		t.Errorf("%d events sent more than once", dup)
	}
}

// mayUpdatePositions grants or revokes UPDATE on the orders outbox's
// positions to role.
func mayUpdatePositions(t *testing.T, db *sql.DB, role string, may bool) {
	t.Helper()
	statement := `REVOKE UPDATE ON %s FROM %s`
	if may {
		statement = `GRANT UPDATE ON %s TO %s`
	}
	for _, topic := range outbox.Orders.SQLTopics() {
		if _, err := db.Exec(fmt.Sprintf(statement, outbox.OffsetsTable(topic), pq.QuoteIdentifier(role))); err != nil {
			t.Fatal(err)
		}
	}
}
