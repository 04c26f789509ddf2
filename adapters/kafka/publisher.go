// Package kafka configures Watermill's Kafka publisher and subscriber for
// order events.
package kafka

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/platform/contracts/envelope"
)

// ProtocolVersion is the Kafka protocol version the clients speak: that of
// the broker the project runs (Apache Kafka 4.1).
var ProtocolVersion = sarama.V4_1_0_0

// PublisherConfig returns the producer settings of the forwarder: every
// record is acknowledged by all in-sync replicas, and the idempotent
// producer keeps a retried send from writing a duplicate or reordering a
// partition. Sarama allows the idempotent producer one request in flight
// per broker connection (and one batch in flight per partition); records
// sent while a request is in flight go together in the next one.
//
// linger is how long a request waits, after its first record, for more
// (Kafka's linger.ms, Sarama's Flush.Frequency); 0 sends at once. Under
// load a few milliseconds put several records in each request instead of
// one or two, which saves the broker and the consumers' fetches more CPU
// than the wait costs (docs/benchmarks.md). No compression: on one host
// the CPU is scarcer than the network.
func PublisherConfig(linger time.Duration) *sarama.Config {
	cfg := kafka.DefaultSaramaSyncPublisherConfig()
	cfg.Version = ProtocolVersion
	cfg.ClientID = "orders-forwarder"
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Idempotent = true
	cfg.Net.MaxOpenRequests = 1 // required by Sarama's idempotent producer
	cfg.Producer.Retry.Max = 10
	cfg.Producer.Retry.Backoff = 100 * time.Millisecond
	cfg.Producer.Partitioner = sarama.NewHashPartitioner
	cfg.Producer.Return.Successes = true
	cfg.Producer.Return.Errors = true
	cfg.Producer.Flush.Frequency = linger
	cfg.Metadata.Retry.Backoff = 250 * time.Millisecond
	return cfg
}

// DefaultLinger is the forwarder's linger unless configured: chosen by
// measurement at low and high load (docs/benchmarks.md).
const DefaultLinger = 2 * time.Millisecond

// Marshaler turns Watermill messages into Kafka records keyed by the order
// ID, so all events of one order land on one partition, in order. Metadata
// (the event name among it) becomes record headers.
func Marshaler() kafka.MarshalerUnmarshaler {
	return kafka.NewWithPartitioningMarshaler(func(_ string, msg *message.Message) (string, error) {
		return msg.Metadata.Get(envelope.MetadataPartitionKey), nil
	})
}

// Publisher is a Watermill publisher to Kafka with PublisherConfig and
// Marshaler, built on Sarama's asynchronous producer:
//
//   - Publish is synchronous, as message.Publisher promises: it hands all
//     its messages to the producer at once (they share requests) and
//     returns when the broker acknowledged every one, or with the first
//     error;
//   - PublishAsync hands one message to the producer and returns at once;
//     the broker's answer comes later, to a callback. The outbox forwarder
//     uses it to keep many records in flight.
//
// The records are the same as watermill-kafka's publisher writes (key =
// partition key, Watermill UUID and metadata as headers).
type Publisher struct {
	producer  sarama.AsyncProducer
	marshaler kafka.Marshaler
	logger    watermill.LoggerAdapter

	mu      sync.RWMutex // closed vs. sends
	closed  bool
	results sync.WaitGroup
}

// NewPublisher returns a Publisher connected to brokers whose requests
// wait linger for more records (PublisherConfig).
func NewPublisher(brokers []string, linger time.Duration, logger watermill.LoggerAdapter) (*Publisher, error) {
	producer, err := sarama.NewAsyncProducer(brokers, PublisherConfig(linger))
	if err != nil {
		return nil, fmt.Errorf("kafka publisher: %w", err)
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	p := &Publisher{producer: producer, marshaler: Marshaler(), logger: logger}
	p.results.Add(2)
	go p.successes()
	go p.errors()
	return p, nil
}

// ErrMarshal is returned for a message Watermill's Kafka marshaler refuses
// (a metadata key it reserves): sending it again cannot help.
var ErrMarshal = errors.New("cannot marshal message")

// ErrPublisherClosed is returned by a send after Close.
var ErrPublisherClosed = errors.New("kafka publisher closed")

// PublishAsync hands msg to the producer for topic and returns; acked is
// called once, from another goroutine, with nil when the broker
// acknowledged the record or with the error that ended its attempts
// (Sarama has retried it by then). An error returned by PublishAsync
// itself (marshaling, closed publisher) means acked is not called.
func (p *Publisher) PublishAsync(topic string, msg *message.Message, acked func(error)) error {
	record, err := p.marshaler.Marshal(topic, msg)
	if err != nil {
		return fmt.Errorf("%w %s: %w", ErrMarshal, msg.UUID, err)
	}
	record.Metadata = acked
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrPublisherClosed
	}
	p.producer.Input() <- record
	return nil
}

// Publish sends msgs to topic and returns when the broker acknowledged all
// of them, or with the first error (the others may have been written).
func (p *Publisher) Publish(topic string, msgs ...*message.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	results := make(chan error, len(msgs))
	sent := 0
	var sendErr error
	for _, msg := range msgs {
		if sendErr = p.PublishAsync(topic, msg, func(err error) { results <- err }); sendErr != nil {
			break
		}
		sent++
	}
	var firstErr error
	for range sent {
		if err := <-results; err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if sendErr != nil {
		return sendErr
	}
	if firstErr != nil {
		return fmt.Errorf("cannot produce message: %w", firstErr)
	}
	return nil
}

func (p *Publisher) successes() {
	defer p.results.Done()
	for record := range p.producer.Successes() {
		if acked, ok := record.Metadata.(func(error)); ok {
			acked(nil)
		}
	}
}

func (p *Publisher) errors() {
	defer p.results.Done()
	for e := range p.producer.Errors() {
		if acked, ok := e.Msg.Metadata.(func(error)); ok {
			acked(e.Err)
		} else {
			p.logger.Error("Kafka produce failed", e.Err, nil)
		}
	}
}

// Close waits for the records in flight (each gets its answer) and closes
// the producer.
func (p *Publisher) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	p.producer.AsyncClose()
	p.results.Wait()
	return nil
}
