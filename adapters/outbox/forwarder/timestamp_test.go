package forwarder_test

import (
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/internal/testenv"
)

// TestATimestampTheTopicRefusesStallsAndDeliversOnceItIsAllowed gives the
// topic message.timestamp.before.max.ms=0, what a forwarder whose clock runs
// behind the broker's (or a topic policy) meets: the broker refuses records
// as INVALID_TIMESTAMP. That is about the producer or the topic, not the
// record: nothing is dead-lettered, and once the setting goes every event
// is delivered.
func TestATimestampTheTopicRefusesStallsAndDeliversOnceItIsAllowed(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 1)
	setTopicConfig(t, brokers, topic, map[string]*string{"message.timestamp.before.max.ms": new("0")})

	startForwarder(t, db, dbURL, brokers, forwarder.Config{IdlePollInterval: 50 * time.Millisecond})
	pub := testenv.OutboxPublisher(t, outbox.Orders)
	for i := 1; i <= 5; i++ {
		publish(t, db, pub, topic, newMessage(t, "order-1", i))
	}
	time.Sleep(3 * time.Second)
	if letters := readLetters(t, db); len(letters) > 0 {
		t.Fatalf("dead letters while the topic refused the timestamps: %q, want none", letters)
	}

	setTopicConfig(t, brokers, topic, map[string]*string{})
	readUntil(t, brokers, topic, "order-1", 30*time.Second, 5)
	checkDelivery(t, readEvents(t, brokers, topic, 5, 0), map[string]int{"order-1": 5})
	if letters := readLetters(t, db); len(letters) > 0 {
		t.Errorf("dead letters: %q, want none", letters)
	}
}

// setTopicConfig replaces the topic's own settings with entries.
func setTopicConfig(t *testing.T, brokers []string, topic string, entries map[string]*string) {
	t.Helper()
	if err := testenv.ClusterAdmin(t, brokers).AlterConfig(sarama.TopicResource, topic, entries, false); err != nil {
		t.Fatalf("alter %s: %v", topic, err)
	}
}
