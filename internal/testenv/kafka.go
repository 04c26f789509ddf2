package testenv

import (
	"testing"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/kafka"
)

// PublishToKafka sends msgs to topic one at a time, so they land in this
// order on their partitions. It sends a copy of each: a test may send the
// same message twice, as a redelivery.
func PublishToKafka(t testing.TB, brokers []string, topic string, msgs ...*message.Message) {
	t.Helper()
	pub, err := kafka.NewPublisher(brokers, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Close() }()
	for _, m := range msgs {
		if err := pub.Publish(topic, m.Copy()); err != nil {
			t.Fatal(err)
		}
	}
}

// ClusterAdmin returns an admin client of brokers, closed when the test
// ends.
func ClusterAdmin(t testing.TB, brokers []string) sarama.ClusterAdmin {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	return admin
}
