package kafka

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/IBM/sarama"
)

// EnsureTopic creates topic with the given number of partitions unless it
// exists. Creating it explicitly, rather than relying on the broker's
// auto-creation, fixes the partition count that per-order ordering rests on.
func EnsureTopic(brokers []string, topic string, partitions int32) error {
	_, err := EnsureTopicPartitions(brokers, topic, partitions)
	return err
}

// TopicPartitions is a topic's partition count on the broker beside the
// one asked for.
type TopicPartitions struct {
	Topic   string
	Wanted  int32 // asked for
	OnTopic int32 // what the broker has
	Created bool  // created now, with Wanted
}

// Replication is how many brokers keep each partition of a topic the
// services create, and how many of them must have a record before the
// producer (acks=all) gets its acknowledgement. Zero means: derived from
// the cluster, see resolve.
type Replication struct {
	Factor    int16 // KAFKA_REPLICATION_FACTOR
	MinInSync int   // KAFKA_MIN_INSYNC_REPLICAS
}

// resolve fills in what r leaves zero: the factor is min(3, the cluster's
// brokers); the minimum in sync is one less than the factor, at least 1,
// so that one broker down stops no writes and one broker lost loses no
// acknowledged record.
func (r Replication) resolve(admin sarama.ClusterAdmin) (Replication, error) {
	if r.Factor == 0 {
		brokers, _, err := admin.DescribeCluster()
		if err != nil {
			return r, fmt.Errorf("describe the Kafka cluster: %w", err)
		}
		r.Factor = int16(min(3, max(1, len(brokers)))) //nolint:gosec // at most 3
	}
	if r.MinInSync == 0 {
		r.MinInSync = max(1, int(r.Factor)-1)
	}
	return r, nil
}

// EnsureTopicPartitions is EnsureTopic that also reports the partition
// count of a topic that already existed, which may differ from the one
// asked for: Kafka never changes it by itself. The topic's replication is
// derived from the cluster (Replication{}).
func EnsureTopicPartitions(brokers []string, topic string, partitions int32) (TopicPartitions, error) {
	return EnsureReplicatedTopic(brokers, topic, partitions, Replication{})
}

// EnsureReplicatedTopic is EnsureTopicPartitions with the replication of
// a topic it creates. A topic that exists keeps its own.
func EnsureReplicatedTopic(brokers []string, topic string, partitions int32, replication Replication) (TopicPartitions, error) {
	tp := TopicPartitions{Topic: topic, Wanted: partitions}
	admin, err := newClusterAdmin(brokers)
	if err != nil {
		return tp, err
	}
	defer func() { _ = admin.Close() }()

	r, err := replication.resolve(admin)
	if err != nil {
		return tp, err
	}
	minInSync := strconv.Itoa(r.MinInSync)
	err = admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: r.Factor,
		ConfigEntries: map[string]*string{"min.insync.replicas": &minInSync}}, false)
	if err == nil {
		tp.OnTopic, tp.Created = partitions, true
		return tp, nil
	}
	if !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		var topicErr *sarama.TopicError
		if !errors.As(err, &topicErr) || !errors.Is(topicErr.Err, sarama.ErrTopicAlreadyExists) {
			return tp, fmt.Errorf("create topic %s: %w", topic, err)
		}
	}
	tp.OnTopic, err = partitionCount(admin, topic)
	return tp, err
}

// partitionCount describes a topic the broker said exists. A topic created
// a moment ago (by another process, or on a broker that just started) can
// be missing from the metadata for a while: that is waited out, briefly.
func partitionCount(admin sarama.ClusterAdmin, topic string) (int32, error) {
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		var n int32
		if n, err = describePartitions(admin, topic); err == nil {
			return n, nil
		}
		if !errors.Is(err, sarama.ErrUnknownTopicOrPartition) && !errors.Is(err, sarama.ErrLeaderNotAvailable) {
			return 0, err
		}
		time.Sleep(250 * time.Millisecond)
	}
	return 0, err
}

func describePartitions(admin sarama.ClusterAdmin, topic string) (int32, error) {
	meta, err := admin.DescribeTopics([]string{topic})
	if err != nil {
		return 0, fmt.Errorf("describe topic %s: %w", topic, err)
	}
	if len(meta) != 1 || !errors.Is(meta[0].Err, sarama.ErrNoError) {
		var kerr error = sarama.ErrUnknownTopicOrPartition
		if len(meta) == 1 {
			kerr = meta[0].Err
		}
		return 0, fmt.Errorf("describe topic %s: %w", topic, kerr)
	}
	return int32(len(meta[0].Partitions)), nil //nolint:gosec // a partition count fits
}

// GroupMembers returns how many members of a consumer group consume
// topic now; 0 when the group does not exist yet.
func GroupMembers(brokers []string, group, topic string) (int, error) {
	admin, err := newClusterAdmin(brokers)
	if err != nil {
		return 0, err
	}
	defer func() { _ = admin.Close() }()
	groups, err := admin.DescribeConsumerGroups([]string{group})
	if err != nil {
		return 0, fmt.Errorf("describe consumer group %s: %w", group, err)
	}
	members := 0
	for _, g := range groups {
		for _, m := range g.Members {
			meta, err := m.GetMemberMetadata()
			if err != nil {
				return 0, fmt.Errorf("consumer group %s: member %s: %w", group, m.MemberId, err)
			}
			if meta != nil && slices.Contains(meta.Topics, topic) {
				members++
			}
		}
	}
	return members, nil
}

func newClusterAdmin(brokers []string) (sarama.ClusterAdmin, error) {
	cfg := sarama.NewConfig()
	cfg.Version = ProtocolVersion
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		return nil, fmt.Errorf("kafka admin: %w", err)
	}
	return admin, nil
}
