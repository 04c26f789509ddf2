package kafka

import (
	"errors"
	"fmt"

	"github.com/IBM/sarama"
)

// EnsureTopic creates topic with the given number of partitions unless it
// exists. Creating it explicitly, rather than relying on the broker's
// auto-creation, fixes the partition count that per-order ordering rests on.
func EnsureTopic(brokers []string, topic string, partitions int32) error {
	cfg := sarama.NewConfig()
	cfg.Version = ProtocolVersion
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		return fmt.Errorf("kafka admin: %w", err)
	}
	defer func() { _ = admin.Close() }()

	err = admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false)
	if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		var topicErr *sarama.TopicError
		if !errors.As(err, &topicErr) || !errors.Is(topicErr.Err, sarama.ErrTopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", topic, err)
		}
	}
	return nil
}
