package admin_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/internal/testenv"
)

// beforeServiceOneShard is the last migration before 46, which gives a
// new database's inventory and payment outboxes one shard instead of
// migration 23's four.
const beforeServiceOneShard = 45

// recordedShards returns the inventory's and the payment's recorded
// shard counts.
func recordedServiceShards(ctx context.Context, t *testing.T, db *sql.DB) [2]int {
	t.Helper()
	var got [2]int
	for i, name := range []string{outbox.Inventory.Name, outbox.Payment.Name} {
		shards, err := admin.RecordedShards(ctx, db, name)
		if err != nil {
			t.Fatal(err)
		}
		got[i] = shards
	}
	return got
}

// Migration 46 replaces a new database's four inventory and payment
// shards with the one CreateLayout would make, which the service roles
// may write; its Down gives the four back while the shard is unused, and
// keeps a used one.
func TestMigration46GivesANewDatabaseOneShardPerServiceOutboxAndItsDownFourAgain(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := emptyDB(t)
	provider := migrator(t, db)
	if _, err := provider.Up(ctx); err != nil {
		t.Fatal(err)
	}
	checkLayoutIsCreateLayouts(t, db, shardCounts{orders: 1, inventory: 1, payment: 1})
	for _, name := range []string{outbox.Inventory.Name, outbox.Payment.Name} {
		role := testenv.ServiceRoles[name]
		var exists bool
		if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)`, role).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if !exists {
			continue
		}
		var granted bool
		err := db.QueryRowContext(ctx, fmt.Sprintf(`SELECT has_table_privilege($1, 'watermill_%[1]s_outbox_0_of_1', 'INSERT, SELECT')
			AND has_table_privilege($1, 'watermill_offsets_%[1]s_outbox_0_of_1', 'UPDATE')
			AND has_table_privilege($1, 'watermill_%[1]s_outbox', 'SELECT')
			AND has_sequence_privilege($1, 'watermill_%[1]s_outbox_0_of_1_offset_seq', 'USAGE')`, name), role).Scan(&granted)
		if err != nil || !granted {
			t.Errorf("%s may not write the new shard: %v %v", role, granted, err)
		}
	}

	if _, err := provider.DownTo(ctx, beforeServiceOneShard); err != nil {
		t.Fatal(err)
	}
	checkLayoutIsCreateLayouts(t, db, shardCounts{orders: 1, inventory: 4, payment: 4})
	if _, err := provider.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if got := recordedServiceShards(ctx, t, db); got != [2]int{1, 1} {
		t.Errorf("up again: inventory and payment have %v shards, want 1 each", got)
	}
	// Used, the inventory's one shard stays through the Down; the
	// payment's, unused, gets its four back.
	if _, err := db.ExecContext(ctx, `INSERT INTO watermill_inventory_outbox_0_of_1 (uuid, payload, metadata, transaction_id)
		VALUES ('m1', 'x', '{}', pg_current_xact_id())`); err != nil {
		t.Fatal(err)
	}
	if _, err := provider.DownTo(ctx, beforeServiceOneShard); err != nil {
		t.Fatal(err)
	}
	if got := recordedServiceShards(ctx, t, db); got != [2]int{1, 4} {
		t.Errorf("down with an inventory message: inventory and payment have %v shards, want the inventory's 1 kept and the payment's 4", got)
	}
}

// A database whose inventory or payment outbox has held anything keeps
// that outbox's four shards through migration 46, up and down; the other
// outbox, unused, gets its one shard.
func TestMigration46LeavesAServiceOutboxThatHeldAnythingAsItIs(t *testing.T) {
	t.Parallel()
	for _, box := range []struct{ name, business string }{
		{"inventory", `INSERT INTO inventory_reservations (order_id, status, lines) VALUES (gen_random_uuid(), 'held', '[]')`},
		{"payment", `INSERT INTO payments (order_id, amount, currency, status) VALUES (gen_random_uuid(), 100, 'EUR', 'due')`},
	} {
		for _, c := range []struct{ name, held string }{
			{"a business row", box.business},
			{"a message", fmt.Sprintf(`INSERT INTO watermill_%s_outbox_2_of_4 (uuid, payload, metadata, transaction_id)
				VALUES ('m1', 'x', '{}', pg_current_xact_id())`, box.name)},
			{"messages forwarded and deleted", fmt.Sprintf(`UPDATE watermill_offsets_%s_outbox_3_of_4
				SET offset_acked = 7, last_processed_transaction_id = pg_current_xact_id()`, box.name)},
			{"another consumer group", fmt.Sprintf(`INSERT INTO watermill_offsets_%s_outbox_0_of_4 (consumer_group, offset_acked, last_processed_transaction_id)
				VALUES ('audit', 0, '0')`, box.name)},
			{"a dead letter", fmt.Sprintf(`INSERT INTO outbox_dead_letters (outbox, sql_topic, "offset", transaction_id, uuid, reason)
				VALUES ('%[1]s', '%[1]s_outbox_1_of_4', 1, '1', 'm1', 'too large')`, box.name)},
		} {
			t.Run(box.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				db := emptyDB(t)
				provider := migrator(t, db)
				if _, err := provider.UpTo(ctx, beforeServiceOneShard); err != nil {
					t.Fatal(err)
				}
				if _, err := db.ExecContext(ctx, c.held); err != nil {
					t.Fatal(err)
				}
				want := shardCounts{orders: 1, inventory: 1, payment: 1}
				if box.name == outbox.Inventory.Name {
					want.inventory = 4
				} else {
					want.payment = 4
				}
				if _, err := provider.Up(ctx); err != nil {
					t.Fatal(err)
				}
				if got := recordedServiceShards(ctx, t, db); got != [2]int{want.inventory, want.payment} {
					t.Fatalf("up: inventory and payment have %v shards, want %d and %d", got, want.inventory, want.payment)
				}
				if c.name == "a business row" {
					checkLayoutIsCreateLayouts(t, db, want)
				}
				if _, err := provider.DownTo(ctx, beforeServiceOneShard); err != nil {
					t.Fatal(err)
				}
				if got := recordedServiceShards(ctx, t, db); got != [2]int{4, 4} {
					t.Errorf("down: inventory and payment have %v shards, want 4 each", got)
				}
			})
		}
	}
}
