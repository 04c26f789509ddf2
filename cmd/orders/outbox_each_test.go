package main

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/internal/testenv"
)

// TestOutboxCommandsWorkOnEveryOutbox gives each of the three outboxes a
// held order, and the inventory outbox's shard a lost position: `orders
// outbox` shows, repairs and releases each outbox, every one by default or
// the one -outbox names.
func TestOutboxCommandsWorkOnEveryOutbox(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	env := []string{"DATABASE_URL=" + dbURL, "LOG_FORMAT=json", "METRICS_ADDR=off"}
	for _, box := range []outbox.Config{outbox.Orders, outbox.Inventory, outbox.Payment} {
		holdOrder(t, db, box, "order-of-"+box.Name)
	}
	lostPosition := outbox.Inventory.SQLTopic(0)
	mustExec(t, db, `DELETE FROM `+outbox.OffsetsTable(lostPosition))

	out, code := runOrders(t, env, "outbox", "dead-letters", "list")
	for _, name := range []string{"orders", "inventory", "payment"} {
		if code != 0 || !strings.Contains(out, "order-of-"+name) {
			t.Errorf("dead-letters list: exit %d, want the held order of outbox %s in:\n%s", code, name, out)
		}
	}
	out, code = runOrders(t, env, "outbox", "-outbox", "payment", "dead-letters", "list")
	if code != 0 || !strings.Contains(out, "order-of-payment") || strings.Contains(out, "order-of-inventory") {
		t.Errorf("-outbox payment dead-letters list: exit %d, want the payment outbox's letter alone:\n%s", code, out)
	}

	out, code = runOrders(t, env, "outbox", "status")
	if code != 1 || !strings.Contains(out, "inventory_outbox_0_of_1") || !strings.Contains(out, "payment_outbox_0_of_1") ||
		!strings.Contains(out, "orders_outbox_0_of_1") {
		t.Errorf("status with the inventory's position lost: exit %d, want 1 and every outbox's shards:\n%s", code, out)
	}
	out, code = runOrders(t, env, "outbox", "repair")
	if code != 0 || !strings.Contains(out, "outbox inventory: "+lostPosition+": position created") ||
		!strings.Contains(out, "outbox payment: no shard is stalled") {
		t.Errorf("repair: exit %d, want the inventory's shard repaired and the others left alone:\n%s", code, out)
	}
	if out, code = runOrders(t, env, "outbox", "status"); code != 0 {
		t.Errorf("status after the repair: exit %d\n%s", code, out)
	}

	out, code = runOrders(t, env, "outbox", "dead-letters", "skip", "order-of-inventory")
	if code != 0 || !strings.Contains(out, `outbox inventory: skipped 1 letter(s)`) {
		t.Errorf("skip an order held in the inventory outbox: exit %d\n%s", code, out)
	}
	if out, code = runOrders(t, env, "outbox", "dead-letters", "skip", "order-of-nobody"); code != 1 || !strings.Contains(out, "in any outbox") {
		t.Errorf("skip an order no outbox holds: exit %d, want 1 and a refusal:\n%s", code, out)
	}
}

// holdOrder stores a dead letter of order in box's first shard, holding
// the order.
func holdOrder(t *testing.T, db *sql.DB, box outbox.Config, order string) {
	t.Helper()
	if _, err := db.Exec(`INSERT INTO outbox_dead_letters (outbox, sql_topic, "offset", transaction_id, uuid, reason, partition_key, status)
		VALUES ($1, $2, 1, '1'::xid8, $3, 'refused', $4, 'dead')`, box.Name, box.SQLTopic(0), uuid.NewString(), order); err != nil {
		t.Fatal(err)
	}
}
