package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/internal/testenv"
)

// TestUnsetOutboxShardsIsTheDatabasesCount runs processes on a database
// whose orders outbox has 3 shards. With OUTBOX_SHARDS unset they use 3:
// `orders api` and `orders forwarder` start (the forwarder says it forwards 3
// shards), and the pool check counts 3; `orders outbox status` (which
// always reads the database's count) lists the three. OUTBOX_SHARDS=5 is refused with the error naming both
// counts.
func TestUnsetOutboxShardsIsTheDatabasesCount(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	testenv.OrdersOutboxWithShards(t, db, 3)
	brokers := testenv.Kafka(t)
	env := []string{
		"DATABASE_URL=" + dbURL, "OUTBOX_SHARDS=", "KAFKA_BROKERS=" + strings.Join(brokers, ","),
		"ORDERS_TOPIC=" + testenv.Topic(t, brokers, 6), "LOG_FORMAT=json", "METRICS_ADDR=off", "AUTH_DEV_MODE=true",
	}
	with := func(more ...string) []string { return append(append([]string(nil), env...), more...) }

	out, code := runOrders(t, env, "outbox", "status")
	if code != 0 || strings.Count(out, "orders_outbox_") != 3 || !strings.Contains(out, "orders_outbox_2_of_3") {
		t.Errorf("orders outbox status with OUTBOX_SHARDS unset: exit %d, want the 3 shards of the database:\n%s", code, out)
	}

	out, code = runOrders(t, with("OUTBOX_SHARDS=5", "HTTP_ADDR="+testenv.FreeAddr(t)), "api")
	refusal := "outbox orders is configured with 5 shards (OUTBOX_SHARDS) but the database has 3; set OUTBOX_SHARDS=3"
	if code != 1 || !strings.Contains(out, refusal) {
		t.Errorf("orders api with OUTBOX_SHARDS=5: exit %d, want 1 and %q in:\n%s", code, refusal, out)
	}

	out, code = runOrders(t, with("DATABASE_MAX_CONNS=3"), "forwarder")
	if tooSmall := "`orders forwarder` needs at least 4 connections"; code != 1 || !strings.Contains(out, tooSmall) {
		t.Errorf("orders forwarder on a pool of 3: exit %d, want 1 and %q (3 shards + retention) in:\n%s", code, tooSmall, out)
	}

	for cmd, started := range map[string]string{"api": `"msg":"HTTP API listening"`, "forwarder": `"msg":"forwarder running","outbox":"orders","shards":3`} {
		p := testenv.StartProcess(t, "orders "+cmd, os.Args[0], []string{cmd}, with("ORDERS_TEST_RUN_MAIN=1", "HTTP_ADDR="+testenv.FreeAddr(t))...)
		testenv.WaitFor(t, 60*time.Second, "orders "+cmd+" to start with OUTBOX_SHARDS unset", func() (bool, string) {
			if !p.Running() {
				t.Fatalf("orders %s exited:\n%s", cmd, p.Log.String())
			}
			return strings.Contains(p.Log.String(), started), "no " + started + " logged yet"
		})
	}
}

// TestTheServiceOutboxesHaveTheirDatabasesCounts runs `orders inventory`
// and `orders payment` on a database whose inventory outbox has 3 shards
// and payment outbox 2 (a new database's have 1): each forwards the count
// its database records, which no variable sets.
func TestTheServiceOutboxesHaveTheirDatabasesCounts(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	for name, shards := range map[string]int{outbox.Inventory.Name: 3, outbox.Payment.Name: 2} {
		if err := admin.ChangeShards(context.Background(), db, name, shards); err != nil {
			t.Fatal(err)
		}
	}
	brokers := testenv.Kafka(t)
	env := []string{
		"ORDERS_TEST_RUN_MAIN=1", "DATABASE_URL=" + dbURL, "KAFKA_BROKERS=" + strings.Join(brokers, ","), "LOG_FORMAT=json", "METRICS_ADDR=off", "AUTH_DEV_MODE=true",
		"ORDERS_TOPIC=" + testenv.Topic(t, brokers, 3), "INVENTORY_TOPIC=" + testenv.Topic(t, brokers, 3), "PAYMENTS_TOPIC=" + testenv.Topic(t, brokers, 3),
		"INVENTORY_DEAD_LETTER_TOPIC=" + testenv.Topic(t, brokers, 1), "PAYMENT_DEAD_LETTER_TOPIC=" + testenv.Topic(t, brokers, 1),
		"ORDERS_TOPIC_PARTITIONS=3", "INVENTORY_TOPIC_PARTITIONS=3", "PAYMENTS_TOPIC_PARTITIONS=3", "DEAD_LETTER_TOPIC_PARTITIONS=1",
		"INVENTORY_HTTP_ADDR=" + testenv.FreeAddr(t), "PAYMENT_HTTP_ADDR=" + testenv.FreeAddr(t),
	}
	for cmd, started := range map[string]string{
		"inventory": `"msg":"forwarder running","outbox":"inventory","shards":3`,
		"payment":   `"msg":"forwarder running","outbox":"payment","shards":2`,
	} {
		p := testenv.StartProcess(t, "orders "+cmd, os.Args[0], []string{cmd}, env...)
		testenv.WaitFor(t, 60*time.Second, "orders "+cmd+" to forward its database's shards", func() (bool, string) {
			if !p.Running() {
				t.Fatalf("orders %s exited:\n%s", cmd, p.Log.String())
			}
			return strings.Contains(p.Log.String(), started), "no " + started + " logged yet"
		})
	}
}
