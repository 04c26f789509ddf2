package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// config is read from the environment; every default works with the
// services that `make services` starts.
type config struct {
	DatabaseURL     string
	KafkaBrokers    []string
	HTTPAddr        string
	OrdersTopic     string
	TopicPartitions int32
	// IdempotencyKeyRetention is how long POST /orders remembers a key.
	IdempotencyKeyRetention time.Duration
	LogLevel                slog.Level
	// OutboxDisabled (OUTBOX_DISABLED=true) makes the API write orders
	// without publishing their events: for measuring what the outbox costs
	// (docs/benchmarks.md), never for real use.
	OutboxDisabled bool
}

func loadConfig() (config, error) {
	c := config{
		DatabaseURL:  env("DATABASE_URL", "postgres://orders:orders@127.0.0.1:5432/orders?sslmode=disable"),
		KafkaBrokers: strings.Split(env("KAFKA_BROKERS", "127.0.0.1:9092"), ","),
		HTTPAddr:     env("HTTP_ADDR", ":8080"),
		OrdersTopic:  env("ORDERS_TOPIC", "orders.events"),
	}
	partitions, err := strconv.ParseInt(env("ORDERS_TOPIC_PARTITIONS", "6"), 10, 32)
	if err != nil || partitions < 1 {
		return config{}, fmt.Errorf("ORDERS_TOPIC_PARTITIONS: want a positive integer, got %q", os.Getenv("ORDERS_TOPIC_PARTITIONS"))
	}
	c.TopicPartitions = int32(partitions)
	if c.IdempotencyKeyRetention, err = time.ParseDuration(env("IDEMPOTENCY_KEY_RETENTION", "24h")); err != nil || c.IdempotencyKeyRetention <= 0 {
		return config{}, fmt.Errorf("IDEMPOTENCY_KEY_RETENTION: want a positive duration such as 24h, got %q", os.Getenv("IDEMPOTENCY_KEY_RETENTION"))
	}
	if err := c.LogLevel.UnmarshalText([]byte(env("LOG_LEVEL", "info"))); err != nil {
		return config{}, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	if c.OutboxDisabled, err = strconv.ParseBool(env("OUTBOX_DISABLED", "false")); err != nil {
		return config{}, fmt.Errorf("OUTBOX_DISABLED: want true or false, got %q", os.Getenv("OUTBOX_DISABLED"))
	}
	return c, nil
}

func env(key, fallback string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return fallback
}
