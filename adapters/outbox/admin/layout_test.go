package admin_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/internal/testenv"
)

// describeOutboxes lists, sorted, the outbox objects of schema as the
// catalog shows them: columns with types and defaults, constraints,
// indexes, sequences, views with their definition and comment, the
// recorded layouts and every position (of the shards of boxes).
func describeOutboxes(ctx context.Context, t *testing.T, tx *sql.Tx, schema string, boxes []outbox.Config) []string {
	t.Helper()
	if _, err := tx.ExecContext(ctx, `SELECT set_config('search_path', $1, true)`, schema); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || COALESCE(column_default, '')
		FROM information_schema.columns WHERE table_schema = $1 AND table_name ~ '^(watermill|outbox)'
		UNION ALL
		SELECT 'constraint ' || c.conrelid::regclass::text || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid)
		FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
		WHERE n.nspname = $1 AND c.conrelid::regclass::text ~ '^(watermill|outbox)'
		UNION ALL
		SELECT 'index ' || replace(indexdef, $1 || '.', '') FROM pg_indexes WHERE schemaname = $1 AND tablename ~ '^(watermill|outbox)'
		UNION ALL
		SELECT 'sequence ' || sequencename || ' ' || data_type::text FROM pg_sequences WHERE schemaname = $1 AND sequencename ~ '^(watermill|outbox)'
		UNION ALL
		SELECT 'view ' || c.relname || ' ' || pg_get_viewdef(c.oid) || ' -- ' || COALESCE(obj_description(c.oid, 'pg_class'), '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'v' AND c.relname ~ '^watermill'
		UNION ALL
		SELECT 'layout ' || name || ' ' || shards FROM outbox_layouts`, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, cfg := range boxes {
		for _, topic := range cfg.SQLTopics() {
			var group, txID string
			var acked int64
			err := tx.QueryRowContext(ctx, `SELECT consumer_group, offset_acked, last_processed_transaction_id::text FROM `+outbox.OffsetsTable(topic)).
				Scan(&group, &acked, &txID)
			if err != nil {
				t.Fatalf("position in %s: %v", topic, err)
			}
			lines = append(lines, fmt.Sprintf("position %s %s %d %s", topic, group, acked, txID))
		}
	}
	slices.Sort(lines)
	return lines
}

// The migrations hold their own SQL (migrations/00010, 00023, 00045,
// 00046); on a new database they must create exactly what CreateLayout
// creates for the three outboxes, each with one shard.
func TestMigrationsCreateTheLayoutCreateLayoutCreates(t *testing.T) {
	t.Parallel()
	checkLayoutIsCreateLayouts(t, testenv.DB(t), shardCounts{orders: 1, inventory: 1, payment: 1})
}

// shardCounts are the shard counts of the three outboxes.
type shardCounts struct{ orders, inventory, payment int }

func (c shardCounts) configs() []outbox.Config {
	return []outbox.Config{
		{Name: outbox.Orders.Name, Shards: c.orders},
		{Name: outbox.Inventory.Name, Shards: c.inventory},
		{Name: outbox.Payment.Name, Shards: c.payment},
	}
}

// checkLayoutIsCreateLayouts fails t unless db's outboxes are what
// CreateLayout creates, with the shard counts of want.
func checkLayoutIsCreateLayouts(t *testing.T, db *sql.DB, want shardCounts) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	boxes := want.configs()
	migrated := describeOutboxes(ctx, t, tx, "public", boxes)

	if _, err := tx.ExecContext(ctx, `CREATE SCHEMA layout_check`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `SET LOCAL search_path = layout_check`); err != nil {
		t.Fatal(err)
	}
	for _, cfg := range boxes {
		if err := admin.CreateLayout(ctx, tx, cfg, outbox.DefaultConsumerGroup); err != nil {
			t.Fatal(err)
		}
	}
	created := describeOutboxes(ctx, t, tx, "layout_check", boxes)
	if len(migrated) < 50 || !slices.Equal(migrated, created) {
		t.Errorf("the migrations created\n%s\n\nCreateLayout created (shards: %+v)\n%s",
			strings.Join(migrated, "\n"), want, strings.Join(created, "\n"))
	}
}
