// Package kafka configures Watermill's Kafka publisher and subscriber for
// order events.
package kafka

import (
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/eventcodec"
)

// ProtocolVersion is the Kafka protocol version the clients speak: that of
// the broker the project runs (Apache Kafka 4.1).
var ProtocolVersion = sarama.V4_1_0_0

// PublisherConfig returns the producer settings of the forwarder: every
// record is acknowledged by all in-sync replicas, and the idempotent
// producer keeps a retried send from writing a duplicate or reordering a
// partition.
func PublisherConfig() *sarama.Config {
	cfg := kafka.DefaultSaramaSyncPublisherConfig()
	cfg.Version = ProtocolVersion
	cfg.ClientID = "orders-forwarder"
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Idempotent = true
	cfg.Net.MaxOpenRequests = 1 // required by the idempotent producer
	cfg.Producer.Retry.Max = 10
	cfg.Producer.Retry.Backoff = 100 * time.Millisecond
	cfg.Producer.Partitioner = sarama.NewHashPartitioner
	cfg.Metadata.Retry.Backoff = 250 * time.Millisecond
	return cfg
}

// Marshaler turns Watermill messages into Kafka records keyed by the order
// ID, so all events of one order land on one partition, in order. Metadata
// (the event name among it) becomes record headers.
func Marshaler() kafka.MarshalerUnmarshaler {
	return kafka.NewWithPartitioningMarshaler(func(_ string, msg *message.Message) (string, error) {
		return msg.Metadata.Get(eventcodec.MetadataPartitionKey), nil
	})
}

// NewPublisher returns a Kafka publisher with PublisherConfig and Marshaler.
func NewPublisher(brokers []string, logger watermill.LoggerAdapter) (*kafka.Publisher, error) {
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{
		Brokers:               brokers,
		Marshaler:             Marshaler(),
		OverwriteSaramaConfig: PublisherConfig(),
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("kafka publisher: %w", err)
	}
	return pub, nil
}
