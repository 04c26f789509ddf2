package testenv

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/orderflow/orders/adapters/kafka"
)

// Topic returns a Kafka topic name of the test's own, created with the
// given number of partitions and deleted when the test ends: a broker's
// start-up time grows with the partitions it holds, and the suite creates
// thousands of them.
func Topic(t testing.TB, brokers []string, partitions int32) string {
	t.Helper()
	topic := "test." + strings.ToLower(strings.NewReplacer("/", ".", " ", "_").Replace(t.Name())) + "." + RandomSuffix()
	if err := kafka.EnsureTopic(brokers, topic, partitions); err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	DeleteTopicsWhenDone(t, brokers, topic)
	return topic
}

// DeleteTopicsWhenDone deletes the topics when the test ends, for those
// that what the test runs creates under names the test made up. Call it
// before starting what uses them, so that it runs after their cleanups.
func DeleteTopicsWhenDone(t testing.TB, brokers []string, topics ...string) {
	for _, topic := range topics {
		testTopics.add(t, brokers, topic)
	}
}

// testTopics collects each test's topics, so that they go in one request
// when it ends: the controller commits each request to its metadata log.
var testTopics = topicsByTest{m: map[topicsKey][]string{}}

type topicsKey struct {
	t       testing.TB
	brokers string
}

type topicsByTest struct {
	mu sync.Mutex
	m  map[topicsKey][]string
}

func (tt *topicsByTest) add(t testing.TB, brokers []string, topic string) {
	key := topicsKey{t, strings.Join(brokers, ",")}
	tt.mu.Lock()
	defer tt.mu.Unlock()
	first := len(tt.m[key]) == 0
	tt.m[key] = append(tt.m[key], topic)
	if !first {
		return
	}
	// Registered with the test's first topic, this runs after the cleanups
	// of whatever the test starts later to use its topics (last in, first
	// out).
	t.Cleanup(func() {
		tt.mu.Lock()
		topics := tt.m[key]
		delete(tt.m, key)
		tt.mu.Unlock()
		deleteTopics(t, brokers, topics)
	})
}

// deleteTopics is tidying, not a check: a chaos test may end with its
// brokers down, so a failure is logged rather than failing the test.
func deleteTopics(t testing.TB, brokers []string, topics []string) {
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	cfg.Net.DialTimeout = 5 * time.Second
	cfg.Metadata.Retry.Max = 1
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		t.Logf("delete topics %v: %v", topics, err)
		return
	}
	defer func() { _ = admin.Close() }()
	controller, err := admin.Controller()
	if err != nil {
		t.Logf("delete topics %v: %v", topics, err)
		return
	}
	res, err := controller.DeleteTopics(&sarama.DeleteTopicsRequest{Version: 4, Topics: topics, Timeout: 10 * time.Second})
	if err != nil {
		t.Logf("delete topics %v: %v", topics, err)
		return
	}
	for topic, kerr := range res.TopicErrorCodes {
		if !errors.Is(kerr, sarama.ErrNoError) && !errors.Is(kerr, sarama.ErrUnknownTopicOrPartition) {
			t.Logf("delete topic %s: %v", topic, kerr)
		}
	}
}
