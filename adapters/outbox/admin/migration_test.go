package admin_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/migrations"
)

// emptyDB returns a database of its own with no migration applied.
func emptyDB(t *testing.T) *sql.DB {
	t.Helper()
	ctx := context.Background()
	server, err := postgres.Open(ctx, testenv.DatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = server.Close() }()
	name := "orders_t_" + uuid.NewString()[:8]
	if _, err := server.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		server, err := postgres.Open(context.Background(), testenv.DatabaseURL())
		if err == nil {
			_, _ = server.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = server.Close()
		}
	})
	db, err := postgres.Open(ctx, testenv.URLFor(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Migration 10, now SQL, moves what the single outbox of migration 2 had
// not forwarded into the shard of each message's partition key, as the Go
// migration it replaces did.
func TestMigration10MovesTheUnforwardedLegacyMessagesIntoTheirShards(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := emptyDB(t)
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.UpTo(ctx, 3); err != nil {
		t.Fatal(err)
	}
	// Four rows in one transaction; the old forwarder had passed the first.
	_, err = db.ExecContext(ctx, `
		INSERT INTO watermill_orders_outbox (uuid, payload, metadata, transaction_id)
		SELECT 'w' || i, json_build_object('destination_topic', 'orders.events', 'uuid', 'm' || i,
			'payload', 'e30=', 'metadata', json_build_object('partition_key', 'order-' || i)), '{}', pg_current_xact_id()
		FROM generate_series(1, 4) i;
		INSERT INTO watermill_offsets_orders_outbox (consumer_group, offset_acked, last_processed_transaction_id)
		SELECT 'orders-forwarder', "offset", transaction_id FROM watermill_orders_outbox WHERE uuid = 'w1'`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.UpTo(ctx, 10); err != nil {
		t.Fatal(err)
	}
	cfg := outbox.Orders
	moved := 0
	for shard, topic := range cfg.SQLTopics() {
		for id, key := range partitionKeys(ctx, t, db, topic) {
			if want := outbox.ShardOf(key, cfg.Shards); want != shard || id == "w1" {
				t.Errorf("%s (key %q) moved into shard %d, want %d (w1 was forwarded)", id, key, shard, want)
			}
			moved++
		}
	}
	if moved != 3 {
		t.Errorf("%d messages moved, want 3", moved)
	}
	if _, err := provider.DownTo(ctx, 3); err != nil {
		t.Errorf("down to 3: %v", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		t.Errorf("up again: %v", err)
	}
}

// partitionKeys reads the partition key of every message of topic, from
// its stored envelope.
func partitionKeys(ctx context.Context, t *testing.T, db *sql.DB, topic string) map[string]string {
	t.Helper()
	rows, err := db.QueryContext(ctx, `SELECT uuid, payload FROM `+outbox.MessagesTable(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	keys := map[string]string{}
	for rows.Next() {
		var id string
		var payload []byte
		if err := rows.Scan(&id, &payload); err != nil {
			t.Fatal(err)
		}
		var env outbox.Envelope
		if err := (outbox.Marshaler{}).Unmarshal(payload, &env); err != nil {
			t.Errorf("%s: %v", id, err)
		}
		keys[id] = env.Metadata[outbox.MetadataPartitionKey]
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}
