package main

import (
	"context"

	"github.com/orderflow/orders/adapters/kafka"
)

// partitionsOf returns the partitions configured for topic and the
// variable that sets them.
func (t TopicsConfig) partitionsOf(topic string) (int32, string) {
	switch topic {
	case t.Inventory:
		return t.InventoryPartitions, "INVENTORY_TOPIC_PARTITIONS"
	case t.Payments:
		return t.PaymentsPartitions, "PAYMENTS_TOPIC_PARTITIONS"
	case t.InventoryDeadLetter, t.PaymentDeadLetter, t.SagaDeadLetter:
		return t.DeadLetterPartitions, "DEAD_LETTER_TOPIC_PARTITIONS"
	default:
		return t.OrdersPartitions, "ORDERS_TOPIC_PARTITIONS"
	}
}

// ensureTopics creates the topics a service reads and writes, waiting for
// Kafka when it is not up yet, and warns about each topic that already
// has another partition count than configured. That is no error: the
// topic works with the count it has, and changing a live topic's count
// moves keys between partitions (README, "Partitions").
func ensureTopics(ctx context.Context, r *resources, topics ...string) error {
	var found []kafka.TopicPartitions
	err := untilDone(ctx, r.logger, "Kafka", func() error {
		found = found[:0]
		for _, topic := range topics {
			want, _ := r.cfg.Topics.partitionsOf(topic)
			tp, err := kafka.EnsureReplicatedTopic(r.cfg.Kafka.Brokers, topic, want, r.cfg.Kafka.Replication)
			if err != nil {
				return err
			}
			found = append(found, tp)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, tp := range found {
		if tp.OnTopic != tp.Wanted {
			_, variable := r.cfg.Topics.partitionsOf(tp.Topic)
			r.logger.WarnContext(ctx, "Kafka topic has another partition count than configured; using the topic's. "+
				"Set "+variable+" to the topic's count, or drain the topic's consumers before adding partitions (a key moves to another partition)",
				"topic", tp.Topic, "partitions_on_topic", tp.OnTopic, "partitions_configured", tp.Wanted, "variable", variable)
		}
	}
	return nil
}

// warnIfNoPartitionLeft warns when group already has as many members
// consuming topic as the topic has partitions: a new instance then gets
// none and stays idle until a member leaves. A member that was killed
// counts until its session times out, so this only warns.
func warnIfNoPartitionLeft(ctx context.Context, r *resources, group, topic string) {
	want, variable := r.cfg.Topics.partitionsOf(topic)
	tp, err := kafka.EnsureTopicPartitions(r.cfg.Kafka.Brokers, topic, want)
	if err != nil {
		r.logger.WarnContext(ctx, "partition count not checked", "topic", topic, "err", err)
		return
	}
	members, err := kafka.GroupMembers(r.cfg.Kafka.Brokers, group, topic)
	if err != nil {
		r.logger.WarnContext(ctx, "consumer group not checked", "group", group, "err", err)
		return
	}
	if members >= int(tp.OnTopic) {
		r.logger.WarnContext(ctx, "consumer group already has a member per partition: this instance gets no partition and stays idle "+
			"until one leaves; to scale out further, add partitions to the drained topic and set "+variable,
			"group", group, "topic", topic, "partitions", tp.OnTopic, "members", members)
	}
}
