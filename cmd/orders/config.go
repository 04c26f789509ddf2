package main

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/adapters/paymentgateway"
	"github.com/orderflow/orders/ports/messaging"
)

// Config is the whole process's configuration. main loads it from the
// environment (loadConfig), fills the defaults and validates it once;
// nothing below main reads the environment. A zero field means its
// default, as in Watermill's configs; the two settings where zero has a
// meaning of its own are pointers (nil: the default).
type Config struct {
	Database  DatabaseConfig
	Kafka     KafkaConfig
	HTTP      HTTPConfig
	Topics    TopicsConfig
	Outbox    OutboxConfig
	Consumers ConsumersConfig
	Log       LogConfig
	Auth      AuthConfig     // auth.go
	Shutdown  ShutdownConfig // config_shutdown.go
	bench     benchConfig    // measurement switches of the benchmark's build only
	// deprecated are the warnings for settings read under an old name
	// (deprecated.go), logged once at start.
	deprecated []string
}

// DatabaseConfig is PostgreSQL and the pools each process opens: one per
// distinct database it works on (databases.go).
type DatabaseConfig struct {
	URL string // DATABASE_URL: the order service's
	// InventoryURL (INVENTORY_DATABASE_URL) and PaymentURL
	// (PAYMENT_DATABASE_URL) are the inventory's and the payment service's
	// databases; empty: DATABASE_URL.
	InventoryURL string
	PaymentURL   string
	// MaxConns (DATABASE_MAX_CONNS) bounds each pool, which every part of
	// the process on that database shares; idle connections are kept up to
	// the same number.
	MaxConns        int
	ConnMaxIdleTime time.Duration // DATABASE_CONN_MAX_IDLE_TIME
	ConnMaxLifetime time.Duration // DATABASE_CONN_MAX_LIFETIME; 0: no limit
	// IdleInTransactionTimeout (DATABASE_IDLE_IN_TRANSACTION_TIMEOUT) ends
	// the process's sessions that stay idle this long inside a transaction
	// (PostgreSQL's idle_in_transaction_session_timeout): an outbox writer
	// blocks its shards' delivery while open, so it must not stay open
	// unbounded. 0: no limit.
	IdleInTransactionTimeout *time.Duration
	// LockTimeout (DATABASE_LOCK_TIMEOUT) is how long a statement of the
	// services' business transactions waits for a lock before it fails
	// and the transaction is retried (PostgreSQL's lock_timeout): a
	// writer waiting for a row that another session holds would block
	// its outbox shards for as long as that session pleases. 0: no limit.
	LockTimeout *time.Duration
}

// KafkaConfig is the Kafka cluster.
type KafkaConfig struct {
	Brokers []string // KAFKA_BROKERS, comma-separated
	// The replication of the topics the services create (KAFKA_REPLICATION_FACTOR,
	// KAFKA_MIN_INSYNC_REPLICAS); zero: min(3, brokers) and one less, at least 1.
	Replication kafka.Replication
}

// HTTPConfig is the addresses the process serves on.
type HTTPConfig struct {
	API       string // HTTP_ADDR
	Inventory string // INVENTORY_HTTP_ADDR
	Payment   string // PAYMENT_HTTP_ADDR
	Metrics   string // METRICS_ADDR; "off": none
	// Pprof (PPROF_ADDR) serves Go's profiler at /debug/pprof/ when set;
	// off by default, since profiles show the process's internals.
	Pprof string
	// IdempotencyKeyRetention (IDEMPOTENCY_KEY_RETENTION) is how long
	// POST /orders remembers an Idempotency-Key.
	IdempotencyKeyRetention time.Duration
	Limits                  HTTPLimits // config_http.go
}

// TopicsConfig names the Kafka topics.
type TopicsConfig struct {
	Orders              string // ORDERS_TOPIC
	Inventory           string // INVENTORY_TOPIC
	Payments            string // PAYMENTS_TOPIC
	InventoryDeadLetter string // INVENTORY_DEAD_LETTER_TOPIC
	PaymentDeadLetter   string // PAYMENT_DEAD_LETTER_TOPIC
	SagaDeadLetter      string // SAGA_DEAD_LETTER_TOPIC
	// The partitions of each topic the services create, and expect of a
	// topic that exists (topics.go): ORDERS_TOPIC_PARTITIONS, then
	// INVENTORY_TOPIC_PARTITIONS, PAYMENTS_TOPIC_PARTITIONS and
	// DEAD_LETTER_TOPIC_PARTITIONS, which default to ORDERS_TOPIC_PARTITIONS.
	OrdersPartitions     int32
	InventoryPartitions  int32
	PaymentsPartitions   int32
	DeadLetterPartitions int32
}

// OutboxConfig is the outboxes and their forwarders (docs/forwarder.md).
type OutboxConfig struct {
	// Shards (OUTBOX_SHARDS) is the orders outbox's shard count. Zero
	// (unset) is the count recorded in the database, read at start
	// (resolveOutboxShards); set, it must equal that count.
	Shards int
	// InventoryShards and PaymentShards are the inventory and payment
	// outboxes' shard counts, which no variable sets: the counts recorded
	// in their databases, read at start (resolveOutboxShards). Zero, the
	// count of a new database (before they are read, and where the
	// command has no such database).
	InventoryShards  int
	PaymentShards    int
	BatchSize        int           // FORWARDER_BATCH_SIZE
	IdlePollInterval time.Duration // FORWARDER_IDLE_POLL_INTERVAL
	NotifyInterval   time.Duration // OUTBOX_NOTIFY_INTERVAL
	// SessionTimeout (FORWARDER_SESSION_TIMEOUT) is how long PostgreSQL
	// keeps a frozen or cut-off forwarder's shard; StallAfter
	// (FORWARDER_STALL_AFTER) how long a shard may keep a backlog without
	// moving before it is reported.
	SessionTimeout time.Duration
	StallAfter     time.Duration
	// Linger (FORWARDER_LINGER) is how long the forwarder's Kafka requests
	// wait, after their first record, for more; 0 sends at once.
	Linger *time.Duration
	// Retention (OUTBOX_RETENTION) is the age after which forwarded rows
	// are deleted; 0 keeps them.
	Retention *time.Duration
}

// ConsumersConfig is the inventory's, the payment service's and the order
// saga's consumers (docs/saga.md).
type ConsumersConfig struct {
	InventoryGroup string // INVENTORY_CONSUMER_GROUP
	PaymentGroup   string // PAYMENT_CONSUMER_GROUP
	SagaGroup      string // SAGA_CONSUMER_GROUP
	MaxRetries     int    // CONSUMER_MAX_RETRIES
	// BatchSize (CONSUMER_BATCH_SIZE) bounds the waiting messages the
	// inventory and the saga handle in one transaction; 1: one at a time.
	BatchSize int
	// BatchLinger (CONSUMER_BATCH_LINGER) is how long a batch waits for
	// more messages after the one before it.
	BatchLinger    time.Duration
	InboxRetention time.Duration // INBOX_RETENTION
	// InboxRetentionTick is how often old inbox records are deleted.
	InboxRetentionTick time.Duration
	// PaymentDeclineAbove (PAYMENT_DECLINE_ABOVE) is the simulated
	// gateway's limit in minor units; 0 declines every charge.
	PaymentDeclineAbove *int64
}

// LogConfig is the process's one logger.
type LogConfig struct {
	Level  slog.Level // LOG_LEVEL: debug, info, warn, error
	Format string     // LOG_FORMAT: text or json; by default text on a terminal, json otherwise
}

const (
	defaultDatabaseURL = "postgres://orders:orders@127.0.0.1:5432/orders?sslmode=disable"
	// defaultMaxConns is the pool of one process: the size each role's
	// process had before, and room enough for `orders all` (minConns).
	defaultMaxConns       = 40
	defaultOutboxRetained = 168 * time.Hour
	// defaultIdleInTransaction is far above the service's own transactions
	// (milliseconds; a payment gateway call is bounded well below it) and
	// bounds how long a stuck one blocks its outbox shards.
	defaultIdleInTransaction = 30 * time.Second
	// defaultLockTimeout is far above what the service's transactions
	// wait for each other's row locks (milliseconds, even 60 reservations
	// of one SKU in a queue), and is how long one waiting for a session
	// outside the service blocks the other orders of its shards.
	defaultLockTimeout = time.Second
)

func (c *Config) setDefaults() {
	d := &c.Database
	d.URL = or(d.URL, defaultDatabaseURL)
	d.InventoryURL, d.PaymentURL = or(d.InventoryURL, d.URL), or(d.PaymentURL, d.URL)
	d.MaxConns = or(d.MaxConns, defaultMaxConns)
	d.ConnMaxIdleTime = or(d.ConnMaxIdleTime, 5*time.Minute)
	if d.IdleInTransactionTimeout == nil {
		d.IdleInTransactionTimeout = ptr(defaultIdleInTransaction)
	}
	if d.LockTimeout == nil {
		d.LockTimeout = ptr(defaultLockTimeout)
	}
	if len(c.Kafka.Brokers) == 0 {
		c.Kafka.Brokers = []string{"127.0.0.1:9092"}
	}
	h := &c.HTTP
	h.API, h.Inventory, h.Payment = or(h.API, ":8080"), or(h.Inventory, ":8081"), or(h.Payment, ":8082")
	h.Metrics = or(h.Metrics, ":9090")
	h.IdempotencyKeyRetention = or(h.IdempotencyKeyRetention, 24*time.Hour)
	h.Limits.setDefaults()
	t := &c.Topics
	t.Orders, t.Inventory, t.Payments = or(t.Orders, "orders.events"), or(t.Inventory, "inventory.events"), or(t.Payments, "payments.events")
	t.InventoryDeadLetter, t.PaymentDeadLetter, t.SagaDeadLetter = or(t.InventoryDeadLetter, "inventory.dlq"), or(t.PaymentDeadLetter, "payment.dlq"), or(t.SagaDeadLetter, "order-saga.dlq")
	t.OrdersPartitions = or(t.OrdersPartitions, 12)
	t.InventoryPartitions, t.PaymentsPartitions = or(t.InventoryPartitions, t.OrdersPartitions), or(t.PaymentsPartitions, t.OrdersPartitions)
	t.DeadLetterPartitions = or(t.DeadLetterPartitions, t.OrdersPartitions)
	o := &c.Outbox
	o.BatchSize = or(o.BatchSize, forwarder.DefaultBatchSize)
	o.IdlePollInterval = or(o.IdlePollInterval, time.Second)
	o.NotifyInterval = or(o.NotifyInterval, forwarder.DefaultNotifyInterval)
	o.SessionTimeout = or(o.SessionTimeout, forwarder.DefaultSessionTimeout)
	o.StallAfter = or(o.StallAfter, forwarder.DefaultStallAfter)
	if o.Linger == nil {
		o.Linger = ptr(kafka.DefaultLinger)
	}
	if o.Retention == nil {
		o.Retention = ptr(defaultOutboxRetained)
	}
	s := &c.Consumers
	s.InventoryGroup, s.PaymentGroup, s.SagaGroup = or(s.InventoryGroup, "inventory"), or(s.PaymentGroup, "payment"), or(s.SagaGroup, "order-saga")
	s.MaxRetries = or(s.MaxRetries, 5)
	s.BatchSize = or(s.BatchSize, messaging.DefaultBatchSize)
	s.BatchLinger = or(s.BatchLinger, messaging.DefaultBatchLinger)
	s.InboxRetention = or(s.InboxRetention, 168*time.Hour)
	s.InboxRetentionTick = or(s.InboxRetentionTick, 10*time.Minute)
	if s.PaymentDeclineAbove == nil {
		s.PaymentDeclineAbove = ptr(int64(paymentgateway.DefaultDeclineAbove))
	}
	c.Log.Format = or(c.Log.Format, defaultLogFormat())
	c.Shutdown.setDefaults()
}

// defaultLogFormat is text for a person at a terminal (`make run`) and
// JSON for everything else: a container's or a service manager's log
// collector, a file, a test.
func defaultLogFormat() string {
	if info, err := os.Stderr.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
		return "text"
	}
	return "json"
}

// Validate reports every setting that is out of range, each naming its
// environment variable and what it wants. It expects setDefaults to have
// run.
func (c Config) Validate() error {
	var errs []error
	bad := func(cond bool, variable, want string, got any) {
		if cond {
			errs = append(errs, fmt.Errorf("%s: want %s, got %v", variable, want, got))
		}
	}
	for _, v := range []struct{ name, url string }{
		{"DATABASE_URL", c.Database.URL}, {"INVENTORY_DATABASE_URL", c.Database.InventoryURL}, {"PAYMENT_DATABASE_URL", c.Database.PaymentURL},
	} {
		bad(!validDatabaseURL(v.url), v.name, "a postgres:// URL or key=value connection string", fmt.Sprintf("%q", redactURL(v.url)))
	}
	bad(c.Database.MaxConns < 1, "DATABASE_MAX_CONNS", "a positive integer", c.Database.MaxConns)
	bad(c.Database.ConnMaxIdleTime < 0, "DATABASE_CONN_MAX_IDLE_TIME", "a positive duration such as 5m", c.Database.ConnMaxIdleTime)
	bad(c.Database.ConnMaxLifetime < 0, "DATABASE_CONN_MAX_LIFETIME", "a duration such as 1h, or 0 for no limit", c.Database.ConnMaxLifetime)
	bad(c.Database.IdleInTransactionTimeout == nil || *c.Database.IdleInTransactionTimeout < 0, "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT",
		"a duration such as 30s, or 0 for no limit", deref(c.Database.IdleInTransactionTimeout))
	bad(c.Database.LockTimeout == nil || *c.Database.LockTimeout < 0, "DATABASE_LOCK_TIMEOUT",
		"a duration such as 1s, or 0 for no limit", deref(c.Database.LockTimeout))
	emptyBroker := slices.ContainsFunc(c.Kafka.Brokers, func(b string) bool { return strings.TrimSpace(b) == "" })
	rep := c.Kafka.Replication
	bad(rep.Factor < 0, "KAFKA_REPLICATION_FACTOR", "0 (from the cluster) or more", rep.Factor)
	bad(rep.MinInSync < 0 || (rep.Factor > 0 && rep.MinInSync > int(rep.Factor)), "KAFKA_MIN_INSYNC_REPLICAS",
		"0 (one less than the replication factor) up to KAFKA_REPLICATION_FACTOR", rep.MinInSync)
	bad(emptyBroker, "KAFKA_BROKERS", "comma-separated host:port pairs", fmt.Sprintf("%q", strings.Join(c.Kafka.Brokers, ",")))
	errs = append(errs, c.HTTP.Limits.validate()...)
	bad(c.HTTP.IdempotencyKeyRetention < 0, "IDEMPOTENCY_KEY_RETENTION", "a positive duration such as 24h", c.HTTP.IdempotencyKeyRetention)
	for _, p := range []struct {
		name string
		n    int32
	}{
		{"ORDERS_TOPIC_PARTITIONS", c.Topics.OrdersPartitions}, {"INVENTORY_TOPIC_PARTITIONS", c.Topics.InventoryPartitions},
		{"PAYMENTS_TOPIC_PARTITIONS", c.Topics.PaymentsPartitions}, {"DEAD_LETTER_TOPIC_PARTITIONS", c.Topics.DeadLetterPartitions},
	} {
		bad(p.n < 1, p.name, "a positive integer", p.n)
	}
	bad(c.Outbox.Shards < 0 || c.Outbox.Shards > outbox.MaxShards, "OUTBOX_SHARDS",
		fmt.Sprintf("1 to %d, or unset for the database's count", outbox.MaxShards), c.Outbox.Shards)
	bad(c.Outbox.BatchSize < 1, "FORWARDER_BATCH_SIZE", "a positive integer", c.Outbox.BatchSize)
	bad(c.Outbox.IdlePollInterval < 0, "FORWARDER_IDLE_POLL_INTERVAL", "a positive duration such as 1s", c.Outbox.IdlePollInterval)
	bad(c.Outbox.SessionTimeout < 300*time.Millisecond, "FORWARDER_SESSION_TIMEOUT", "a duration of at least 300ms such as 5s", c.Outbox.SessionTimeout)
	bad(c.Outbox.StallAfter < 0, "FORWARDER_STALL_AFTER", "a positive duration such as 10s", c.Outbox.StallAfter)
	bad(c.Outbox.Linger == nil || *c.Outbox.Linger < 0 || *c.Outbox.Linger > time.Second, "FORWARDER_LINGER", "a duration from 0 to 1s such as 2ms", deref(c.Outbox.Linger))
	bad(c.Outbox.NotifyInterval < 0, "OUTBOX_NOTIFY_INTERVAL", "a positive duration such as 3ms", c.Outbox.NotifyInterval)
	bad(c.Outbox.Retention == nil || *c.Outbox.Retention < 0, "OUTBOX_RETENTION", "a duration such as 168h, or 0 to keep the rows", deref(c.Outbox.Retention))
	bad(c.Consumers.MaxRetries < 0, "CONSUMER_MAX_RETRIES", "a non-negative integer", c.Consumers.MaxRetries)
	bad(c.Consumers.BatchSize < 1, "CONSUMER_BATCH_SIZE", "a positive integer (1: no batches)", c.Consumers.BatchSize)
	bad(c.Consumers.BatchLinger < 0, "CONSUMER_BATCH_LINGER", "a positive duration such as 2ms", c.Consumers.BatchLinger)
	bad(c.Consumers.InboxRetention < 0, "INBOX_RETENTION", "a positive duration such as 168h", c.Consumers.InboxRetention)
	bad(c.Consumers.PaymentDeclineAbove == nil || *c.Consumers.PaymentDeclineAbove < 0, "PAYMENT_DECLINE_ABOVE", "minor units (a non-negative integer)", deref(c.Consumers.PaymentDeclineAbove))
	bad(c.Log.Format != "text" && c.Log.Format != "json", "LOG_FORMAT", "text or json", fmt.Sprintf("%q", c.Log.Format))
	errs = append(errs, c.validateNames()...)
	errs = append(errs, c.Auth.validate()...)
	errs = append(errs, c.Shutdown.validate()...)
	return errors.Join(errs...)
}

// ordersOutbox is the order service's outbox.
func (o OutboxConfig) ordersOutbox() outbox.Config {
	return outbox.Config{Name: outbox.Orders.Name, Shards: o.Shards}
}

// inventoryOutbox is the inventory service's outbox.
func (o OutboxConfig) inventoryOutbox() outbox.Config {
	return outbox.Config{Name: outbox.Inventory.Name, Shards: cmp.Or(o.InventoryShards, outbox.Inventory.Shards)}
}

// paymentOutbox is the payment service's outbox.
func (o OutboxConfig) paymentOutbox() outbox.Config {
	return outbox.Config{Name: outbox.Payment.Name, Shards: cmp.Or(o.PaymentShards, outbox.Payment.Shards)}
}
