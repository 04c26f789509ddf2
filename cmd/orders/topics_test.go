package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/internal/testenv"
)

// resourcesLogging is the resources on the test's Kafka whose log the test reads.
func resourcesLogging(t *testing.T, env map[string]string) (*resources, *testenv.SyncBuffer) {
	t.Helper()
	cfg, err := configFrom(env)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Kafka.Brokers = testenv.Kafka(t)
	log := &testenv.SyncBuffer{}
	return &resources{cfg: cfg, logger: slog.New(slog.NewTextHandler(log, nil))}, log
}

func TestATopicWithAnotherPartitionCountIsReported(t *testing.T) {
	brokers := testenv.Kafka(t)
	existing := testenv.Topic(t, brokers, 3)
	testenv.DeleteTopicsWhenDone(t, brokers, existing+".new")
	r, log := resourcesLogging(t, map[string]string{
		"ORDERS_TOPIC": existing, "INVENTORY_TOPIC": existing + ".new", "INVENTORY_TOPIC_PARTITIONS": "2",
	})
	if err := ensureTopics(context.Background(), r, existing, existing+".new"); err != nil {
		t.Fatal(err)
	}
	want := []string{"level=WARN", "topic=" + existing + " ", "partitions_on_topic=3", "partitions_configured=12", "variable=ORDERS_TOPIC_PARTITIONS", "drain"}
	for _, w := range want {
		if !strings.Contains(log.String(), w) {
			t.Errorf("log lacks %q:\n%s", w, log)
		}
	}
	if strings.Contains(log.String(), existing+".new ") {
		t.Errorf("the topic created with its configured count is reported:\n%s", log)
	}
	if tp, err := kafka.EnsureTopicPartitions(brokers, existing+".new", 1); err != nil || tp.OnTopic != 2 {
		t.Errorf("INVENTORY_TOPIC_PARTITIONS=2: the topic has %d partitions (%v)", tp.OnTopic, err)
	}
}

func TestAnInstanceWithoutAPartitionIsReported(t *testing.T) {
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 1)
	group := topic + ".group"
	r, log := resourcesLogging(t, map[string]string{"ORDERS_TOPIC": topic, "ORDERS_TOPIC_PARTITIONS": "1"})

	warnIfNoPartitionLeft(context.Background(), r, group, topic)
	if log.String() != "" {
		t.Fatalf("an empty group is reported:\n%s", log)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	testenv.JoinGroup(ctx, t, brokers, group, topic)
	deadline := time.Now().Add(60 * time.Second)
	for n := 0; n < 1; {
		var err error
		if n, err = kafka.GroupMembers(brokers, group, topic); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the group's member never showed")
		}
		time.Sleep(200 * time.Millisecond)
	}
	warnIfNoPartitionLeft(context.Background(), r, group, topic)
	for _, w := range []string{"level=WARN", "stays idle", "partitions=1", "members=1", "ORDERS_TOPIC_PARTITIONS"} {
		if !strings.Contains(log.String(), w) {
			t.Errorf("log lacks %q:\n%s", w, log)
		}
	}
}
