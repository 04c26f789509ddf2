package testenv

import (
	"slices"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/orderflow/orders/adapters/kafka"
)

func TestATestsTopicsAreDeletedWhenItEnds(t *testing.T) {
	brokers := Kafka(t)
	var created []string
	t.Run("creates_two", func(t *testing.T) {
		created = append(created, Topic(t, brokers, 1), Topic(t, brokers, 2))
		// Created on the controller; the broker's metadata follows shortly.
		var found []string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if found = existing(t, brokers, created); len(found) == 2 {
				return
			}
		}
		t.Fatalf("topics %v exist during the test; want both", found)
	})

	// Deleted on the controller; the broker's metadata follows shortly.
	var left []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if left = existing(t, brokers, created); len(left) == 0 {
			return
		}
	}
	t.Fatalf("topics %v still exist after the test that created them ended", left)
}

func existing(t *testing.T, brokers, topics []string) []string {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = admin.Close() }()
	all, err := admin.ListTopics()
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, topic := range topics {
		if _, ok := all[topic]; ok {
			found = append(found, topic)
		}
	}
	slices.Sort(found)
	return found
}
