package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orders/adapters/kafka"
)

// configFrom loads a Config from env as main does: parse, defaults,
// Validate.
func configFrom(env map[string]string) (Config, error) {
	c, err := loadConfig(func(k string) string { return env[k] })
	c.setDefaults()
	return c, errors.Join(err, c.Validate())
}

func TestDefaultsAreTheDocumentedOnes(t *testing.T) {
	c, err := configFrom(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Database: DatabaseConfig{
			URL:          "postgres://orders:orders@127.0.0.1:5432/orders?sslmode=disable",
			InventoryURL: "postgres://orders:orders@127.0.0.1:5432/orders?sslmode=disable",
			PaymentURL:   "postgres://orders:orders@127.0.0.1:5432/orders?sslmode=disable",
			MaxConns:     40, ConnMaxIdleTime: 5 * time.Minute, IdleInTransactionTimeout: ptr(30 * time.Second),
			LockTimeout: ptr(time.Second),
		},
		Kafka: KafkaConfig{Brokers: []string{"127.0.0.1:9092"}},
		HTTP: HTTPConfig{
			API: ":8080", Inventory: ":8081", Payment: ":8082", Metrics: ":9090",
			IdempotencyKeyRetention: 24 * time.Hour,
			Limits: HTTPLimits{
				ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 15 * time.Second, IdleTimeout: time.Minute,
				OrderCreateRate: 10, OrderCreateBurst: 20,
			},
		},
		Topics: TopicsConfig{
			Orders: "orders.events", Inventory: "inventory.events", Payments: "payments.events",
			InventoryDeadLetter: "inventory.dlq", PaymentDeadLetter: "payment.dlq", SagaDeadLetter: "order-saga.dlq",
			OrdersPartitions: 12, InventoryPartitions: 12, PaymentsPartitions: 12, DeadLetterPartitions: 12,
		},
		Outbox: OutboxConfig{
			// Shards: 0, the database's count, read at start (resolveOutboxShards).
			BatchSize: 1000, IdlePollInterval: time.Second, NotifyInterval: 3 * time.Millisecond,
			SessionTimeout: 5 * time.Second, StallAfter: 10 * time.Second, Linger: ptr(2 * time.Millisecond),
			Retention: ptr(168 * time.Hour),
		},
		Consumers: ConsumersConfig{
			InventoryGroup: "inventory", PaymentGroup: "payment", SagaGroup: "order-saga",
			MaxRetries: 5, BatchSize: 64, BatchLinger: 2 * time.Millisecond,
			InboxRetention: 168 * time.Hour, InboxRetentionTick: 10 * time.Minute,
			PaymentDeclineAbove: ptr(int64(100_000)),
		},
		Log:      LogConfig{Level: slog.LevelInfo, Format: defaultLogFormat()},
		Shutdown: ShutdownConfig{GracePeriod: 30 * time.Second, ReadyDelay: ptr(2 * time.Second)},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
}

func TestLoaderReadsEveryVariable(t *testing.T) {
	c, err := configFrom(map[string]string{
		"DATABASE_URL": "postgres://x/y", "DATABASE_MAX_CONNS": "12", "DATABASE_CONN_MAX_IDLE_TIME": "1m",
		"DATABASE_CONN_MAX_LIFETIME": "1h", "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT": "0", "DATABASE_LOCK_TIMEOUT": "250ms", "KAFKA_BROKERS": "a:1, b:2",
		"KAFKA_REPLICATION_FACTOR": "3", "KAFKA_MIN_INSYNC_REPLICAS": "2",
		"HTTP_ADDR": ":1", "INVENTORY_HTTP_ADDR": ":2", "PAYMENT_HTTP_ADDR": ":3", "METRICS_ADDR": "off",
		"IDEMPOTENCY_KEY_RETENTION": "2h", "ORDERS_TOPIC": "o", "INVENTORY_TOPIC": "i", "PAYMENTS_TOPIC": "p",
		"INVENTORY_DEAD_LETTER_TOPIC": "idlq", "PAYMENT_DEAD_LETTER_TOPIC": "pdlq", "SAGA_DEAD_LETTER_TOPIC": "sdlq",
		"ORDERS_TOPIC_PARTITIONS": "3", "INVENTORY_TOPIC_PARTITIONS": "4", "PAYMENTS_TOPIC_PARTITIONS": "5",
		"DEAD_LETTER_TOPIC_PARTITIONS": "1", "OUTBOX_SHARDS": "4",
		"INVENTORY_DATABASE_URL": "postgres://x/inventory", "PAYMENT_DATABASE_URL": "host=db dbname=payment", "FORWARDER_BATCH_SIZE": "10",
		"FORWARDER_IDLE_POLL_INTERVAL": "2s", "OUTBOX_NOTIFY_INTERVAL": "5ms", "OUTBOX_RETENTION": "0",
		"FORWARDER_SESSION_TIMEOUT": "3s", "FORWARDER_STALL_AFTER": "20s", "FORWARDER_LINGER": "0",
		"INVENTORY_CONSUMER_GROUP": "ig", "PAYMENT_CONSUMER_GROUP": "pg", "SAGA_CONSUMER_GROUP": "sg",
		"CONSUMER_MAX_RETRIES": "2", "INBOX_RETENTION": "1h", "PAYMENT_DECLINE_ABOVE": "0",
		"CONSUMER_BATCH_SIZE": "1", "CONSUMER_BATCH_LINGER": "5ms",
		"LOG_LEVEL": "debug", "LOG_FORMAT": "JSON",
	})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"DATABASE_URL", c.Database.URL, "postgres://x/y"},
		{"INVENTORY_DATABASE_URL", c.Database.InventoryURL, "postgres://x/inventory"},
		{"PAYMENT_DATABASE_URL", c.Database.PaymentURL, "host=db dbname=payment"},
		{"DATABASE_MAX_CONNS", c.Database.MaxConns, 12},
		{"DATABASE_CONN_MAX_IDLE_TIME", c.Database.ConnMaxIdleTime, time.Minute},
		{"DATABASE_CONN_MAX_LIFETIME", c.Database.ConnMaxLifetime, time.Hour},
		{"DATABASE_IDLE_IN_TRANSACTION_TIMEOUT", *c.Database.IdleInTransactionTimeout, time.Duration(0)},
		{"DATABASE_LOCK_TIMEOUT", *c.Database.LockTimeout, 250 * time.Millisecond},
		{"KAFKA_BROKERS", c.Kafka.Brokers, []string{"a:1", "b:2"}},
		{"KAFKA_REPLICATION_FACTOR and KAFKA_MIN_INSYNC_REPLICAS", c.Kafka.Replication, kafka.Replication{Factor: 3, MinInSync: 2}},
		{"HTTP_ADDR", c.HTTP.API, ":1"},
		{"INVENTORY_HTTP_ADDR", c.HTTP.Inventory, ":2"},
		{"PAYMENT_HTTP_ADDR", c.HTTP.Payment, ":3"},
		{"METRICS_ADDR", c.HTTP.Metrics, "off"},
		{"IDEMPOTENCY_KEY_RETENTION", c.HTTP.IdempotencyKeyRetention, 2 * time.Hour},
		{"topics", c.Topics, TopicsConfig{"o", "i", "p", "idlq", "pdlq", "sdlq", 3, 4, 5, 1}},
		{"OUTBOX_SHARDS", c.Outbox.Shards, 4},
		{"FORWARDER_BATCH_SIZE", c.Outbox.BatchSize, 10},
		{"FORWARDER_IDLE_POLL_INTERVAL", c.Outbox.IdlePollInterval, 2 * time.Second},
		{"OUTBOX_NOTIFY_INTERVAL", c.Outbox.NotifyInterval, 5 * time.Millisecond},
		{"FORWARDER_SESSION_TIMEOUT", c.Outbox.SessionTimeout, 3 * time.Second},
		{"FORWARDER_STALL_AFTER", c.Outbox.StallAfter, 20 * time.Second},
		{"FORWARDER_LINGER=0 sends at once", *c.Outbox.Linger, time.Duration(0)},
		{"OUTBOX_RETENTION=0 keeps the rows", *c.Outbox.Retention, time.Duration(0)},
		{"consumer groups", []string{c.Consumers.InventoryGroup, c.Consumers.PaymentGroup, c.Consumers.SagaGroup}, []string{"ig", "pg", "sg"}},
		{"CONSUMER_MAX_RETRIES", c.Consumers.MaxRetries, 2},
		{"CONSUMER_BATCH_SIZE", c.Consumers.BatchSize, 1},
		{"CONSUMER_BATCH_LINGER", c.Consumers.BatchLinger, 5 * time.Millisecond},
		{"INBOX_RETENTION", c.Consumers.InboxRetention, time.Hour},
		{"PAYMENT_DECLINE_ABOVE=0 declines all", *c.Consumers.PaymentDeclineAbove, int64(0)},
		{"LOG_LEVEL", c.Log.Level, slog.LevelDebug},
		{"LOG_FORMAT", c.Log.Format, "json"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestBadValuesNameTheirVariable(t *testing.T) {
	tests := []struct {
		variable, value, want string
	}{
		{"DATABASE_MAX_CONNS", "many", `DATABASE_MAX_CONNS: want an integer, got "many"`},
		{"DATABASE_MAX_CONNS", "-1", "DATABASE_MAX_CONNS: want a positive integer, got -1"},
		{"FORWARDER_SESSION_TIMEOUT", "100ms", "FORWARDER_SESSION_TIMEOUT: want a duration of at least 300ms such as 5s, got 100ms"},
		{"DATABASE_CONN_MAX_IDLE_TIME", "soon", `DATABASE_CONN_MAX_IDLE_TIME: want a duration`},
		{"DATABASE_CONN_MAX_LIFETIME", "-1h", "DATABASE_CONN_MAX_LIFETIME: want a duration such as 1h, or 0 for no limit, got -1h0m0s"},
		{"KAFKA_BROKERS", "a:1,,b:2", `KAFKA_BROKERS: want comma-separated host:port pairs, got "a:1,,b:2"`},
		{"KAFKA_REPLICATION_FACTOR", "-1", "KAFKA_REPLICATION_FACTOR: want 0 (from the cluster) or more, got -1"},
		{"KAFKA_MIN_INSYNC_REPLICAS", "-2", "KAFKA_MIN_INSYNC_REPLICAS: want 0 (one less than the replication factor) up to KAFKA_REPLICATION_FACTOR, got -2"},
		{"IDEMPOTENCY_KEY_RETENTION", "-24h", "IDEMPOTENCY_KEY_RETENTION: want a positive duration such as 24h"},
		{"HTTP_WRITE_TIMEOUT", "-1s", "HTTP_WRITE_TIMEOUT: want a positive duration such as 15s, got -1s"},
		{"HTTP_READ_HEADER_TIMEOUT", "fast", `HTTP_READ_HEADER_TIMEOUT: want a duration`},
		{"ORDER_CREATE_RATE", "-1", "ORDER_CREATE_RATE: want a positive number of orders per second, got -1"},
		{"ORDER_CREATE_RATE", "lots", `ORDER_CREATE_RATE: want a number, got "lots"`},
		{"ORDER_CREATE_BURST", "-2", "ORDER_CREATE_BURST: want a positive integer, got -2"},
		{"ORDERS_TOPIC_PARTITIONS", "six", `ORDERS_TOPIC_PARTITIONS: want an integer, got "six"`},
		{"ORDERS_TOPIC_PARTITIONS", "-6", "ORDERS_TOPIC_PARTITIONS: want a positive integer, got -6"},
		{"ORDERS_TOPIC_PARTITIONS", "9999999999", `ORDERS_TOPIC_PARTITIONS: want an integer, got "9999999999"`},
		{"INVENTORY_TOPIC_PARTITIONS", "-1", "INVENTORY_TOPIC_PARTITIONS: want a positive integer, got -1"},
		{"DEAD_LETTER_TOPIC_PARTITIONS", "x", `DEAD_LETTER_TOPIC_PARTITIONS: want an integer, got "x"`},
		{"INVENTORY_DATABASE_URL", "mysql://u:secret@db/x", `INVENTORY_DATABASE_URL: want a postgres:// URL or key=value connection string, got "mysql://u:xxxxx@db/x"`},
		{"PAYMENT_DATABASE_URL", "payments", `PAYMENT_DATABASE_URL: want a postgres:// URL`},
		{"OUTBOX_SHARDS", "257", "OUTBOX_SHARDS: want 1 to 256, or unset for the database's count, got 257"},
		{"OUTBOX_SHARDS", "-1", "OUTBOX_SHARDS: want 1 to 256, or unset for the database's count, got -1"},
		{"FORWARDER_BATCH_SIZE", "-5", "FORWARDER_BATCH_SIZE: want a positive integer, got -5"},
		{"FORWARDER_IDLE_POLL_INTERVAL", "1", `FORWARDER_IDLE_POLL_INTERVAL: want a duration such as 1s, 5m or 24h, got "1"`},
		{"OUTBOX_NOTIFY_INTERVAL", "-3ms", "OUTBOX_NOTIFY_INTERVAL: want a positive duration such as 3ms"},
		{"FORWARDER_LINGER", "-2ms", "FORWARDER_LINGER: want a duration from 0 to 1s such as 2ms, got -2ms"},
		{"OUTBOX_RETENTION", "-1h", "OUTBOX_RETENTION: want a duration such as 168h, or 0 to keep the rows, got -1h0m0s"},
		{"CONSUMER_MAX_RETRIES", "-1", "CONSUMER_MAX_RETRIES: want a non-negative integer, got -1"},
		{"CONSUMER_BATCH_SIZE", "-2", "CONSUMER_BATCH_SIZE: want a positive integer (1: no batches), got -2"},
		{"CONSUMER_BATCH_LINGER", "-1ms", "CONSUMER_BATCH_LINGER: want a positive duration such as 2ms"},
		{"INBOX_RETENTION", "a week", `INBOX_RETENTION: want a duration`},
		{"PAYMENT_DECLINE_ABOVE", "-1", "PAYMENT_DECLINE_ABOVE: want minor units (a non-negative integer), got -1"},
		{"PAYMENT_DECLINE_ABOVE", "10.50", `PAYMENT_DECLINE_ABOVE: want an integer, got "10.50"`},
		{"LOG_LEVEL", "loud", `LOG_LEVEL: want debug, info, warn or error, got "loud"`},
		{"LOG_FORMAT", "xml", `LOG_FORMAT: want text or json, got "xml"`},
		{"ORDERS_TOPIC", `orders"; DROP TABLE orders; --`, `ORDERS_TOPIC: want 1 to 249 letters, digits, '.', '_' or '-'`},
		{"SAGA_CONSUMER_GROUP", "saga group", `SAGA_CONSUMER_GROUP: want 1 to 249 letters`},
		{"AUTH_JWT_KEY", "short", "AUTH_JWT_KEY: want at least 32 bytes, got 5"},
		{"AUTH_DEV_MODE", "yes please", `AUTH_DEV_MODE: want true or false, got "yes please"`},
	}
	for _, tt := range tests {
		t.Run(tt.variable+"="+tt.value, func(t *testing.T) {
			_, err := configFrom(map[string]string{tt.variable: tt.value})
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestEveryBadValueIsReported(t *testing.T) {
	env := map[string]string{"OUTBOX_SHARDS": "x", "INBOX_RETENTION": "y", "LOG_LEVEL": "z", "FORWARDER_BATCH_SIZE": "-1"}
	_, err := configFrom(env)
	if err == nil {
		t.Fatal("no error")
	}
	for variable := range env {
		if !strings.Contains(err.Error(), variable+":") {
			t.Errorf("%s is not reported in %q", variable, err)
		}
	}
	c := Config{Database: DatabaseConfig{MaxConns: -1}, Topics: TopicsConfig{OrdersPartitions: -1}}
	c.setDefaults()
	// ORDERS_TOPIC_PARTITIONS is also the default of the other three.
	if got := strings.Count(c.Validate().Error(), "\n") + 1; got != 5 {
		t.Errorf("Validate reported %d errors, want 5: %v", got, c.Validate())
	}
}

func TestPoolSizeCoversTheCommand(t *testing.T) {
	c, err := configFrom(nil)
	if err != nil {
		t.Fatal(err)
	}
	// The pools are checked with the outboxes' shard counts resolved
	// (resolveOutboxShards): a new database's 1 each, or 8, 4 and 4 of an
	// older one. orders: its shards + retention; inventory and payment:
	// their shards + retention + a message (+ the gateway's connection);
	// saga; API.
	c.Outbox.Shards = 1
	if got := minConns("all", c); got != 11 {
		t.Errorf("orders all on a new database needs %d connections, want 11", got)
	}
	if got := minConns("forwarder", c); got != 2 {
		t.Errorf("orders forwarder on a new database needs %d connections, want 2", got)
	}
	if got, want := []int{minConns("inventory", c), minConns("payment", c)}, []int{3, 4}; !slices.Equal(got, want) {
		t.Errorf("orders inventory and payment on a new database need %v connections, want %v", got, want)
	}
	c.Outbox.Shards, c.Outbox.InventoryShards, c.Outbox.PaymentShards = 8, 4, 4
	if got := minConns("all", c); got != 24 {
		t.Errorf("orders all with 8, 4 and 4 shards needs %d connections, want 24", got)
	}
	if err := checkPool("all", c); err != nil {
		t.Errorf("the default pool is too small for orders all with 8 shards: %v", err)
	}
	c.Database.MaxConns = 20
	err = checkPool("all", c)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_MAX_CONNS") {
		t.Errorf("a pool of 20 for orders all with 8 shards: got %v, want an error naming DATABASE_MAX_CONNS", err)
	}
	if err := checkPool("api", c); err != nil {
		t.Errorf("a pool of 20 for orders api: %v", err)
	}
	c.Outbox.Shards = 1
	c.Outbox.InventoryShards, c.Outbox.PaymentShards = 0, 0
	if err := checkPool("all", c); err != nil {
		t.Errorf("a pool of 20 for orders all with 1 shard each: %v", err)
	}
	// Each database gets a pool of its own: orders all then needs the
	// orders part (8 + 1 shards, the saga, the API) on the largest one.
	c.Outbox.Shards, c.Outbox.InventoryShards, c.Outbox.PaymentShards = 8, 4, 4
	c.Database.InventoryURL, c.Database.PaymentURL = "postgres://h/inventory", "postgres://h/payment"
	if got := minConns("all", c); got != 11 {
		t.Errorf("orders all on three databases needs %d connections a pool, want 11", got)
	}
	if err := checkPool("all", c); err != nil {
		t.Errorf("a pool of 20 for orders all on three databases: %v", err)
	}
}

func TestEachServiceUsesItsOwnDatabase(t *testing.T) {
	c, err := configFrom(map[string]string{"INVENTORY_DATABASE_URL": "postgres://h/inventory"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ service, url, variable string }{
		{ordersService, c.Database.URL, "DATABASE_URL"},
		{inventoryService, "postgres://h/inventory", "INVENTORY_DATABASE_URL"},
		{paymentService, c.Database.URL, "PAYMENT_DATABASE_URL"}, // unset: DATABASE_URL
	} {
		if u, v := c.Database.urlOf(tt.service); u != tt.url || v != tt.variable {
			t.Errorf("%s: database %s (%s), want %s (%s)", tt.service, u, v, tt.url, tt.variable)
		}
	}
	// The payment service shares the orders database here: two pools.
	if got := len(poolNeeds("all", c)); got != 2 {
		t.Errorf("orders all opens %d pools, want 2", got)
	}
	if got := len(poolNeeds("inventory", c)); got != 1 {
		t.Errorf("orders inventory opens %d pools, want 1", got)
	}
}

func TestEachTopicHasItsPartitions(t *testing.T) {
	c, err := configFrom(map[string]string{"ORDERS_TOPIC_PARTITIONS": "12", "PAYMENTS_TOPIC_PARTITIONS": "3"})
	if err != nil {
		t.Fatal(err)
	}
	for topic, want := range map[string]int32{
		"orders.events": 12, "inventory.events": 12, "payments.events": 3, "inventory.dlq": 12, "order-saga.dlq": 12,
	} {
		if got, _ := c.Topics.partitionsOf(topic); got != want {
			t.Errorf("%s: %d partitions, want %d", topic, got, want)
		}
	}
}

func TestMetricsAddressInUseSaysWhatToSet(t *testing.T) {
	stop, err := serveOps(context.Background(), "127.0.0.1:0", prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	_, err = serveOps(context.Background(), ln.Addr().String(), prometheus.NewRegistry(), nil)
	if err == nil || !strings.Contains(err.Error(), "METRICS_ADDR=:9091") {
		t.Fatalf("second metrics server on %s: %v, want an error naming METRICS_ADDR", ln.Addr(), err)
	}
}
