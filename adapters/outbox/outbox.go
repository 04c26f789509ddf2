// Package outbox is what a business transaction touches of a service's
// transactional outbox: the outbox's Config (name, shards, table names),
// the shard a message goes to, the Publisher that writes messages on the
// transaction, and the Marshaler of the forwarder envelope they are stored
// in. The forwarder that moves them to Kafka is in outbox/forwarder; operations
// (layout check, status, repair, reshard, retention) are in outbox/admin.
//
// An outbox is named (Config.Name): the order service's is "orders"; another
// service gets its own with the same machinery and its own name. See
// docs/forwarder.md for the design and its guarantees.
package outbox

import (
	"fmt"
	"hash/fnv"
	"regexp"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/outbox/internal/shard"
)

// MetadataPartitionKey is the message metadata key the outbox shards by,
// and the Kafka record key: all messages with one key (one order) go
// through one shard, in order, to one Kafka partition.
const MetadataPartitionKey = "partition_key"

// DefaultShards is the number of shards of a new outbox, and of the
// outboxes of a new database (migrations 45 and 46). It is one by
// measurement: one shard gave the shortest commit → Kafka tail under load
// and cost the least (docs/benchmarks.md, "Choosing the shard count"). A
// database keeps the count it has; `orders outbox reshard` changes it.
const DefaultShards = 1

// MaxShards bounds Config.Shards.
const MaxShards = 256

// DefaultConsumerGroup is the forwarder's consumer group: the name of its
// offsets row in each shard.
const DefaultConsumerGroup = "forwarder"

// The outboxes of the services. Their layouts are created by migrations 10
// and 23 (and 45 and 46, which give a new database's outboxes one shard
// instead of 10's eight and 23's four), which record the shard count; a
// process configured with another count refuses to start. Each has the
// count of a new database: the service reads a database's own count at
// start (the orders outbox's OUTBOX_SHARDS defaults to it).
var (
	Orders    = Config{Name: "orders", Shards: DefaultShards}
	Inventory = Config{Name: "inventory", Shards: DefaultShards}
	Payment   = Config{Name: "payment", Shards: DefaultShards}
)

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,23}$`)

// Config names an outbox and its number of shards. The shard count is also
// recorded in the database (outbox_layouts); processes whose count differs
// refuse to start, and ChangeShards changes it only when the outbox is
// drained (see docs/forwarder.md).
type Config struct {
	// Name of the outbox, e.g. "orders": lower-case letters, digits and
	// underscores, at most 24 characters. It prefixes the SQL topics.
	Name string
	// Shards is the number of SQL topics (tables) messages are spread over
	// by a stable hash of their partition key. Defaults to DefaultShards.
	Shards int
}

func (c *Config) setDefaults() {
	if c.Shards == 0 {
		c.Shards = DefaultShards
	}
}

// Validate reports a config that cannot name tables.
func (c Config) Validate() error {
	if !namePattern.MatchString(c.Name) {
		return fmt.Errorf("outbox name %q: want lower-case letters, digits and underscores, starting with a letter, at most 24 characters", c.Name)
	}
	if c.Shards < 1 || c.Shards > MaxShards {
		return fmt.Errorf("outbox %s: %d shards, want 1 to %d", c.Name, c.Shards, MaxShards)
	}
	return nil
}

// WithDefaults returns c with its defaults set, and its validation error.
func (c Config) WithDefaults() (Config, error) {
	c.setDefaults()
	return c, c.Validate()
}

// SQLTopic is the watermill-sql topic of one shard, e.g. "orders_outbox_3_of_8".
// The shard count is part of the name, so that a process still running with
// another count fails on a missing table instead of writing into the wrong
// layout.
func (c Config) SQLTopic(shard int) string {
	return fmt.Sprintf("%s_outbox_%d_of_%d", c.Name, shard, c.Shards)
}

// SQLTopics returns every shard's SQL topic, in shard order.
func (c Config) SQLTopics() []string {
	topics := make([]string, c.Shards)
	for i := range topics {
		topics[i] = c.SQLTopic(i)
	}
	return topics
}

// ViewName is the read-only view over all shards, for inspection.
func (c Config) ViewName() string {
	return "watermill_" + c.Name + "_outbox"
}

// MessagesTable is the quoted name of a SQL topic's messages table, as
// watermill-sql's PostgreSQL adapters name it.
func MessagesTable(topic string) string { return shard.MessagesTable(topic) }

// OffsetsTable is the quoted name of a SQL topic's table of consumer-group
// positions.
func OffsetsTable(topic string) string { return shard.OffsetsTable(topic) }

// ShardLockID is how pg_locks shows the advisory lock a forwarder of
// consumerGroup holds while it reads a SQL topic (classid, objid;
// objsubid 1): to see from outside which session holds a shard.
func ShardLockID(topic, consumerGroup string) (classID, objID int64) {
	return shard.LockID(topic, consumerGroup)
}

// Shard returns the shard of a message: a stable hash (FNV-1a) of its
// partition key modulo the shard count. A message without a partition key
// has no ordering to keep and is spread by its UUID.
func (c Config) Shard(msg *message.Message) int {
	key := msg.Metadata.Get(MetadataPartitionKey)
	if key == "" {
		key = msg.UUID
	}
	return ShardOf(key, c.Shards)
}

// ShardOf returns the shard of a partition key among shards.
func ShardOf(key string, shards int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % uint32(shards))
}
