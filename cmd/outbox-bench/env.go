package main

import (
	"context"
	"database/sql"
	"strings"

	"github.com/IBM/sarama"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/internal/testenv"
)

// env is a fresh, migrated database and a fresh topic.
type env struct {
	db      *sql.DB
	url     string
	brokers []string
	topic   string
	drop    func(context.Context)
}

func newEnv(ctx context.Context, partitions int32, logAppendTime bool) (e env, err error) {
	server, err := postgres.Open(ctx, testenv.DatabaseURL())
	if err != nil {
		return env{}, err
	}
	name := "bench_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	if _, err := server.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = server.Close()
		return env{}, err
	}
	brokers := testenv.KafkaBrokers()
	topic := "bench." + name
	e = env{url: testenv.URLFor(name), brokers: brokers, topic: topic}
	e.drop = func(ctx context.Context) {
		if e.db != nil {
			_ = e.db.Close()
		}
		_, _ = server.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		_ = server.Close()
		_ = deleteTopic(brokers, topic)
	}
	defer func() {
		if err != nil {
			e.drop(ctx)
		}
	}()
	if e.db, err = postgres.Open(ctx, e.url); err != nil {
		return e, err
	}
	if err := postgres.Migrate(ctx, e.db); err != nil {
		return e, err
	}
	if opts.shards != outbox.Orders.Shards { // a new database's count
		if err := admin.ChangeShards(ctx, e.db, outbox.Orders.Name, opts.shards); err != nil {
			return e, err
		}
	}
	if opts.retained > 0 {
		if err := retainForwarded(ctx, e.db, opts.retained); err != nil {
			return e, err
		}
	}
	if err := createTopic(brokers, topic, partitions, logAppendTime); err != nil {
		return e, err
	}
	return e, nil
}

func createTopic(brokers []string, topic string, partitions int32, logAppendTime bool) error {
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		return err
	}
	defer func() { _ = admin.Close() }()
	detail := &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}
	if logAppendTime {
		v := "LogAppendTime"
		detail.ConfigEntries = map[string]*string{"message.timestamp.type": &v}
	}
	return admin.CreateTopic(topic, detail, false)
}

func deleteTopic(brokers []string, topic string) error {
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		return err
	}
	defer func() { _ = admin.Close() }()
	return admin.DeleteTopic(topic)
}

// records returns the number of records on topic (sum of high-water marks).
func records(client sarama.Client, topic string) int64 {
	if err := client.RefreshMetadata(topic); err != nil {
		return 0
	}
	parts, err := client.Partitions(topic)
	if err != nil {
		return 0
	}
	var total int64
	for _, p := range parts {
		off, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err == nil {
			total += off
		}
	}
	return total
}

func newClient(brokers []string) (sarama.Client, error) {
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	return sarama.NewClient(brokers, cfg)
}
