package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
)

// Record is one Kafka record as read back from a topic.
type Record struct {
	Partition int32
	Offset    int64
	Key       string
	Headers   map[string]string
	Value     []byte
	// Timestamp is the record's create time, or the broker's append time
	// on a topic with message.timestamp.type=LogAppendTime.
	Timestamp time.Time
}

// ReadTopic calls fn for every record of topic from the oldest offset, one
// partition at a time, up to the high-water marks read at the start; with
// follow it keeps reading new records until ctx ends. It reads without a
// consumer group: nothing is committed.
func ReadTopic(ctx context.Context, brokers []string, topic string, follow bool, fn func(Record) error) error {
	cfg := sarama.NewConfig()
	cfg.Version = ProtocolVersion
	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer func() { _ = client.Close() }()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return fmt.Errorf("kafka consumer: %w", err)
	}
	defer func() { _ = consumer.Close() }()

	partitions, err := client.Partitions(topic)
	if err != nil {
		return fmt.Errorf("partitions of %s: %w", topic, err)
	}
	records := make(chan *sarama.ConsumerMessage)
	remaining := 0
	for _, p := range partitions {
		hwm, err := highWaterMark(ctx, client, topic, p)
		if err != nil {
			return err
		}
		if hwm == 0 && !follow {
			continue
		}
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			return fmt.Errorf("consume %s/%d: %w", topic, p, err)
		}
		defer func() { _ = pc.Close() }()
		remaining++
		go forwardUntil(ctx, pc, hwm, follow, records)
	}

	for remaining > 0 {
		select {
		case <-ctx.Done():
			if follow {
				return nil
			}
			return ctx.Err()
		case m, ok := <-records:
			if !ok || m == nil {
				remaining--
				continue
			}
			if err := fn(toRecord(m)); err != nil {
				return err
			}
		}
	}
	return nil
}

// forwardUntil sends a partition's records to out, then a nil once it has
// passed the high-water mark hwm (unless follow).
func forwardUntil(ctx context.Context, pc sarama.PartitionConsumer, hwm int64, follow bool, out chan<- *sarama.ConsumerMessage) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-pc.Messages():
			select {
			case out <- m:
			case <-ctx.Done():
				return
			}
			if !follow && m.Offset+1 >= hwm {
				select {
				case out <- nil:
				case <-ctx.Done():
				}
				return
			}
		}
	}
}

func toRecord(m *sarama.ConsumerMessage) Record {
	headers := make(map[string]string, len(m.Headers))
	for _, h := range m.Headers {
		headers[string(h.Key)] = string(h.Value)
	}
	return Record{Partition: m.Partition, Offset: m.Offset, Key: string(m.Key), Headers: headers, Value: m.Value, Timestamp: m.Timestamp}
}

// highWaterMark returns the partition's next offset. Right after a broker
// restart the leader may still be moving, so a stale-metadata answer is
// retried on fresh metadata for a while.
func highWaterMark(ctx context.Context, client sarama.Client, topic string, partition int32) (int64, error) {
	const attempts = 20
	var err error
	for attempt := range attempts {
		var hwm int64
		if hwm, err = client.GetOffset(topic, partition, sarama.OffsetNewest); err == nil {
			return hwm, nil
		}
		if !errors.Is(err, sarama.ErrNotLeaderForPartition) && !errors.Is(err, sarama.ErrLeaderNotAvailable) &&
			!errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
			break
		}
		_ = client.RefreshMetadata(topic)
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 100 * time.Millisecond):
		}
	}
	return 0, fmt.Errorf("high-water mark of %s/%d: %w", topic, partition, err)
}
