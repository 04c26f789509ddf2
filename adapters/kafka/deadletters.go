package kafka

import (
	"strconv"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
)

// DeadLetterPayloadLimit bounds the payload a dead letter carries. Every
// event the services write is far smaller; a record near the broker's
// max.message.bytes would not fit on the dead-letter topic once the
// reason headers are added, and a dead letter that cannot be written
// leaves its message redelivered forever, blocking its partition.
const DeadLetterPayloadLimit = 256 << 10

// Metadata of a dead letter whose payload was cut: the original size, and
// where the whole record stays (the topic is in Watermill's
// "topic_poisoned").
const (
	MetadataTruncatedFrom     = "payload_truncated_from"
	MetadataPoisonedPartition = "partition_poisoned"
	MetadataPoisonedOffset    = "offset_poisoned"
)

// DeadLetterPublisher publishes dead letters: a Publisher that cuts a
// payload over DeadLetterPayloadLimit to that size and says so in the
// metadata, with the partition and offset of the consumed record.
type DeadLetterPublisher struct {
	*Publisher
}

// NewDeadLetterPublisher returns a DeadLetterPublisher connected to brokers.
func NewDeadLetterPublisher(brokers []string, logger watermill.LoggerAdapter) (*DeadLetterPublisher, error) {
	p, err := NewPublisher(brokers, 0, logger) // a dead letter is rare and sent alone: no linger
	if err != nil {
		return nil, err
	}
	return &DeadLetterPublisher{Publisher: p}, nil
}

// Publish publishes msgs to topic, each cut to DeadLetterPayloadLimit.
func (p *DeadLetterPublisher) Publish(topic string, msgs ...*message.Message) error {
	bounded := make([]*message.Message, len(msgs))
	for i, msg := range msgs {
		bounded[i] = boundDeadLetter(msg)
	}
	return p.Publisher.Publish(topic, bounded...)
}

func boundDeadLetter(msg *message.Message) *message.Message {
	if len(msg.Payload) <= DeadLetterPayloadLimit {
		return msg
	}
	cut := msg.Copy()
	cut.Payload = msg.Payload[:DeadLetterPayloadLimit]
	cut.Metadata.Set(MetadataTruncatedFrom, strconv.Itoa(len(msg.Payload)))
	if partition, ok := kafka.MessagePartitionFromCtx(msg.Context()); ok {
		cut.Metadata.Set(MetadataPoisonedPartition, strconv.FormatInt(int64(partition), 10))
	}
	if offset, ok := kafka.MessagePartitionOffsetFromCtx(msg.Context()); ok {
		cut.Metadata.Set(MetadataPoisonedOffset, strconv.FormatInt(offset, 10))
	}
	return cut
}
