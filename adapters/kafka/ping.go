package kafka

import (
	"fmt"
	"time"

	"github.com/IBM/sarama"
)

// Ping asks the brokers for the metadata of topic, once and within
// timeout: a cheap request that succeeds only when a broker answers and
// the topic has a leader. Readiness checks use it.
func Ping(brokers []string, topic string, timeout time.Duration) error {
	cfg := sarama.NewConfig()
	cfg.Version = ProtocolVersion
	cfg.ClientID = "orders-readiness"
	cfg.Net.DialTimeout, cfg.Net.ReadTimeout, cfg.Net.WriteTimeout = timeout, timeout, timeout
	cfg.Metadata.Full = false // the one topic, not the whole cluster's
	cfg.Metadata.Retry.Max = 0
	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	defer func() { _ = client.Close() }()
	if err := client.RefreshMetadata(topic); err != nil {
		return fmt.Errorf("kafka metadata of %s: %w", topic, err)
	}
	return nil
}
