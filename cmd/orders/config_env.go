package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// loadConfig reads the environment through getenv (os.Getenv in main). It
// only parses: an unset or empty variable leaves its field zero for
// setDefaults, and a value that does not parse is an error naming the
// variable. Ranges are Validate's.
func loadConfig(getenv func(string) string) (Config, error) {
	p := envParser{getenv: getenv}
	var c Config

	c.Database.URL = p.str("DATABASE_URL")
	c.Database.InventoryURL = p.str("INVENTORY_DATABASE_URL")
	c.Database.PaymentURL = p.str("PAYMENT_DATABASE_URL")
	c.Database.MaxConns = p.int("DATABASE_MAX_CONNS")
	c.Database.ConnMaxIdleTime = p.duration("DATABASE_CONN_MAX_IDLE_TIME")
	c.Database.ConnMaxLifetime = p.duration("DATABASE_CONN_MAX_LIFETIME")
	if p.set("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT") {
		c.Database.IdleInTransactionTimeout = ptr(p.duration("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT"))
	}
	if p.set("DATABASE_LOCK_TIMEOUT") {
		c.Database.LockTimeout = ptr(p.duration("DATABASE_LOCK_TIMEOUT"))
	}

	if brokers := p.str("KAFKA_BROKERS"); brokers != "" {
		for b := range strings.SplitSeq(brokers, ",") {
			c.Kafka.Brokers = append(c.Kafka.Brokers, strings.TrimSpace(b))
		}
	}

	c.Kafka.Replication.Factor = int16(p.intBits("KAFKA_REPLICATION_FACTOR", 16)) //nolint:gosec // parsed with 16 bits
	c.Kafka.Replication.MinInSync = p.int("KAFKA_MIN_INSYNC_REPLICAS")

	c.HTTP.API = p.str("HTTP_ADDR")
	c.HTTP.Inventory = p.str("INVENTORY_HTTP_ADDR")
	c.HTTP.Payment = p.str("PAYMENT_HTTP_ADDR")
	c.HTTP.Metrics = p.str("METRICS_ADDR")
	c.HTTP.Pprof = p.str("PPROF_ADDR")
	c.HTTP.IdempotencyKeyRetention = p.duration("IDEMPOTENCY_KEY_RETENTION")
	c.HTTP.Limits = loadHTTPLimits(&p)

	c.Topics.Orders = p.str("ORDERS_TOPIC")
	c.Topics.Inventory = p.str("INVENTORY_TOPIC")
	c.Topics.Payments = p.str("PAYMENTS_TOPIC")
	c.Topics.InventoryDeadLetter = p.str(p.renamed("INVENTORY_DEAD_LETTER_TOPIC", "INVENTORY_DLQ_TOPIC"))
	c.Topics.PaymentDeadLetter = p.str(p.renamed("PAYMENT_DEAD_LETTER_TOPIC", "PAYMENT_DLQ_TOPIC"))
	c.Topics.SagaDeadLetter = p.str(p.renamed("SAGA_DEAD_LETTER_TOPIC", "SAGA_DLQ_TOPIC"))
	c.Topics.OrdersPartitions = p.int32("ORDERS_TOPIC_PARTITIONS")
	c.Topics.InventoryPartitions = p.int32("INVENTORY_TOPIC_PARTITIONS")
	c.Topics.PaymentsPartitions = p.int32("PAYMENTS_TOPIC_PARTITIONS")
	c.Topics.DeadLetterPartitions = p.int32(p.renamed("DEAD_LETTER_TOPIC_PARTITIONS", "DLQ_TOPIC_PARTITIONS"))

	c.Outbox.Shards = p.int("OUTBOX_SHARDS")
	c.Outbox.BatchSize = p.int("FORWARDER_BATCH_SIZE")
	c.Outbox.IdlePollInterval = p.duration("FORWARDER_IDLE_POLL_INTERVAL")
	c.Outbox.NotifyInterval = p.duration("OUTBOX_NOTIFY_INTERVAL")
	c.Outbox.SessionTimeout = p.duration("FORWARDER_SESSION_TIMEOUT")
	c.Outbox.StallAfter = p.duration("FORWARDER_STALL_AFTER")
	if p.set("FORWARDER_LINGER") {
		c.Outbox.Linger = ptr(p.duration("FORWARDER_LINGER"))
	}
	if p.set("OUTBOX_RETENTION") {
		c.Outbox.Retention = ptr(p.duration("OUTBOX_RETENTION"))
	}

	c.Consumers.InventoryGroup = p.str("INVENTORY_CONSUMER_GROUP")
	c.Consumers.PaymentGroup = p.str("PAYMENT_CONSUMER_GROUP")
	c.Consumers.SagaGroup = p.str("SAGA_CONSUMER_GROUP")
	c.Consumers.MaxRetries = p.int("CONSUMER_MAX_RETRIES")
	c.Consumers.BatchSize = p.int("CONSUMER_BATCH_SIZE")
	c.Consumers.BatchLinger = p.duration("CONSUMER_BATCH_LINGER")
	c.Consumers.InboxRetention = p.duration("INBOX_RETENTION")
	if p.set("PAYMENT_DECLINE_ABOVE") {
		c.Consumers.PaymentDeclineAbove = ptr(p.intBits("PAYMENT_DECLINE_ABOVE", 64))
	}

	if level := p.str("LOG_LEVEL"); level != "" {
		if err := c.Log.Level.UnmarshalText([]byte(level)); err != nil {
			p.fail("LOG_LEVEL", "debug, info, warn or error", level)
		}
	}
	c.Log.Format = strings.ToLower(p.str("LOG_FORMAT"))

	c.Auth = loadAuthConfig(&p)
	c.Shutdown = loadShutdownConfig(&p)
	c.bench = loadBenchConfig(&p)
	c.deprecated = p.deprecated
	return c, errors.Join(p.errs...)
}

// envParser parses environment variables and collects their errors.
type envParser struct {
	getenv     func(string) string
	errs       []error
	deprecated []string // warnings for the old names read (renamed)
}

func (p *envParser) str(name string) string { return strings.TrimSpace(p.getenv(name)) }

func (p *envParser) set(name string) bool { return p.str(name) != "" }

func (p *envParser) fail(name, want, got string) {
	p.errs = append(p.errs, fmt.Errorf("%s: want %s, got %q", name, want, got))
}

func (p *envParser) int(name string) int { return int(p.intBits(name, strconv.IntSize)) }

func (p *envParser) int32(name string) int32 {
	return int32(p.intBits(name, 32)) //nolint:gosec // parsed with 32 bits
}

func (p *envParser) intBits(name string, bits int) int64 {
	v := p.str(name)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, bits)
	if err != nil {
		p.fail(name, "an integer", v)
	}
	return n
}

func (p *envParser) float(name string) float64 {
	v := p.str(name)
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		p.fail(name, "a number", v)
	}
	return f
}

func (p *envParser) duration(name string) time.Duration {
	v := p.str(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		p.fail(name, "a duration such as 1s, 5m or 24h", v)
	}
	return d
}

// or returns v, or fallback when v is zero.
func or[T comparable](v, fallback T) T {
	var zero T
	if v == zero {
		return fallback
	}
	return v
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) any {
	if p == nil {
		return "nothing"
	}
	return *p
}
