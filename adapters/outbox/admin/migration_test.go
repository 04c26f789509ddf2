package admin_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
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
	provider := migrator(t, db)
	if _, err := provider.UpTo(ctx, 3); err != nil {
		t.Fatal(err)
	}
	// Four rows in one transaction; the old forwarder had passed the first.
	_, err := db.ExecContext(ctx, `
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
	cfg := outbox.Config{Name: outbox.Orders.Name, Shards: 8} // migration 10's
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

// beforeOneShard is the last migration before 45, which gives a new
// database's orders outbox one shard instead of migration 10's eight.
const beforeOneShard = 44

// migrator returns goose's provider of our migrations on db.
func migrator(t *testing.T, db *sql.DB) *goose.Provider {
	t.Helper()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	return provider
}

// Migration 45 replaces a new database's eight shards with the one
// CreateLayout would make, which the service role may write; its Down
// gives the eight back while the shard is unused.
func TestMigration45GivesANewDatabaseOneShardAndItsDownEightAgain(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := emptyDB(t)
	provider := migrator(t, db)
	// Down to 44 also takes migration 46 down: the inventory and payment
	// outboxes have 23's four shards again.
	one, eight := shardCounts{orders: 1, inventory: 1, payment: 1}, shardCounts{orders: 8, inventory: 4, payment: 4}
	if _, err := provider.Up(ctx); err != nil {
		t.Fatal(err)
	}
	checkLayoutIsCreateLayouts(t, db, one)
	var role bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)`, testenv.ServiceRoles["orders"]).Scan(&role); err != nil {
		t.Fatal(err)
	}
	if role {
		var granted bool
		err := db.QueryRowContext(ctx, `SELECT has_table_privilege($1, 'watermill_orders_outbox_0_of_1', 'INSERT, SELECT')
			AND has_table_privilege($1, 'watermill_offsets_orders_outbox_0_of_1', 'UPDATE')
			AND has_table_privilege($1, 'watermill_orders_outbox', 'SELECT')
			AND has_sequence_privilege($1, 'watermill_orders_outbox_0_of_1_offset_seq', 'USAGE')`, testenv.ServiceRoles["orders"]).Scan(&granted)
		if err != nil || !granted {
			t.Errorf("%s may not write the new shard: %v %v", testenv.ServiceRoles["orders"], granted, err)
		}
	}

	if _, err := provider.DownTo(ctx, beforeOneShard); err != nil {
		t.Fatal(err)
	}
	checkLayoutIsCreateLayouts(t, db, eight)
	if _, err := provider.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if shards, err := admin.RecordedShards(ctx, db, outbox.Orders.Name); err != nil || shards != 1 {
		t.Errorf("up again: %d shards (%v), want 1", shards, err)
	}
	// Used, the one shard stays through the Down.
	if _, err := db.ExecContext(ctx, `INSERT INTO watermill_orders_outbox_0_of_1 (uuid, payload, metadata, transaction_id)
		VALUES ('m1', 'x', '{}', pg_current_xact_id())`); err != nil {
		t.Fatal(err)
	}
	if _, err := provider.DownTo(ctx, beforeOneShard); err != nil {
		t.Fatal(err)
	}
	if shards, err := admin.RecordedShards(ctx, db, outbox.Orders.Name); err != nil || shards != 1 {
		t.Errorf("down with a message: %d shards (%v), want the 1 kept", shards, err)
	}
}

// A database whose orders outbox has held anything keeps its eight shards
// through migration 45, up and down.
func TestMigration45LeavesADatabaseThatHeldAnythingAsItIs(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, held string }{
		{"an order", `INSERT INTO order_events (event_id, stream_id, version, event_type, schema_version, data, occurred_at)
			VALUES (gen_random_uuid(), gen_random_uuid(), 1, 'OrderPlaced', 1, '{}', now())`},
		{"a message", `INSERT INTO watermill_orders_outbox_3_of_8 (uuid, payload, metadata, transaction_id)
			VALUES ('m1', 'x', '{}', pg_current_xact_id())`},
		{"messages forwarded and deleted", `UPDATE watermill_offsets_orders_outbox_5_of_8
			SET offset_acked = 7, last_processed_transaction_id = pg_current_xact_id()`},
		{"another consumer group", `INSERT INTO watermill_offsets_orders_outbox_0_of_8 (consumer_group, offset_acked, last_processed_transaction_id)
			VALUES ('audit', 0, '0')`},
		{"a dead letter", `INSERT INTO outbox_dead_letters (outbox, sql_topic, "offset", transaction_id, uuid, reason)
			VALUES ('orders', 'orders_outbox_1_of_8', 1, '1', 'm1', 'too large')`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			db := emptyDB(t)
			provider := migrator(t, db)
			if _, err := provider.UpTo(ctx, beforeOneShard); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, c.held); err != nil {
				t.Fatal(err)
			}
			keptEight := func(after string) {
				t.Helper()
				var shards int
				var eight, one bool
				err := db.QueryRowContext(ctx, `SELECT (SELECT shards FROM outbox_layouts WHERE name = 'orders'),
					to_regclass('watermill_orders_outbox_7_of_8') IS NOT NULL, to_regclass('watermill_orders_outbox_0_of_1') IS NOT NULL`).
					Scan(&shards, &eight, &one)
				if err != nil || shards != 8 || !eight || one {
					t.Fatalf("%s: recorded %d shards, the eighth shard's table %v, a one-shard table %v (%v); want the eight shards kept",
						after, shards, eight, one, err)
				}
			}
			if _, err := provider.Up(ctx); err != nil {
				t.Fatal(err)
			}
			keptEight("up")
			if _, err := provider.DownTo(ctx, beforeOneShard); err != nil {
				t.Fatal(err)
			}
			keptEight("down")
			if c.name == "an order" {
				checkLayoutIsCreateLayouts(t, db, shardCounts{orders: 8, inventory: 4, payment: 4})
			}
		})
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
