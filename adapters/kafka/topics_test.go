package kafka_test

import (
	"context"
	"testing"
	"time"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/internal/testenv"
)

func TestEnsureTopicPartitionsReportsTheBrokersCount(t *testing.T) {
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 3)

	tp, err := kafka.EnsureTopicPartitions(brokers, topic, 6)
	if err != nil {
		t.Fatal(err)
	}
	want := kafka.TopicPartitions{Topic: topic, Wanted: 6, OnTopic: 3}
	if tp != want {
		t.Errorf("an existing topic of 3 partitions asked for 6: got %+v, want %+v", tp, want)
	}

	fresh := topic + ".fresh"
	testenv.DeleteTopicsWhenDone(t, brokers, fresh)
	tp, err = kafka.EnsureTopicPartitions(brokers, fresh, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !tp.Created || tp.OnTopic != 4 {
		t.Errorf("a new topic: got %+v, want it created with 4 partitions", tp)
	}
	if tp, err = kafka.EnsureTopicPartitions(brokers, fresh, 4); err != nil || tp.Created || tp.OnTopic != 4 {
		t.Errorf("the same topic again: got %+v, %v, want it found with 4 partitions", tp, err)
	}
}

func TestGroupMembersCountsTheTopicsConsumers(t *testing.T) {
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 2)
	group := topic + ".group"
	if n, err := kafka.GroupMembers(brokers, group, topic); err != nil || n != 0 {
		t.Fatalf("a group that does not exist: %d members, %v; want 0", n, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	testenv.JoinGroup(ctx, t, brokers, group, topic)
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, err := kafka.GroupMembers(brokers, group, topic)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the group's member never showed: %d members", n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n, err := kafka.GroupMembers(brokers, group, topic+".other"); err != nil || n != 0 {
		t.Errorf("members of another topic: %d, %v; want 0", n, err)
	}
}
