package forwarder_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/adapters/outbox/internal/shard"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/internal/testenv"
)

// The case of issue 11: a logical restore leaves the position (and the
// restored rows) with the old cluster's high transaction IDs while a writer
// goes on writing rows with the new cluster's low ones. The running forwarder
// must notice, forward nothing from the shard, and after `repair` every row
// written after the restore must reach Kafka, each order in version order;
// for each of the three outboxes.
func TestRestoreAheadOfTheXidsIsNoticedAndRepairLosesNothing(t *testing.T) {
	t.Parallel()
	for _, box := range []outbox.Config{outbox.Orders, outbox.Inventory, outbox.Payment} {
		t.Run(box.Name, func(t *testing.T) {
			t.Parallel()
			restoreAndRepair(t, box)
		})
	}
}

func restoreAndRepair(t *testing.T, box outbox.Config) {
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 6)
	pub := testenv.OutboxPublisher(t, box)
	reg := prometheus.NewRegistry()
	metrics, err := forwarder.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	startForwarder(t, db, dbURL, brokers, forwarder.Config{Outbox: box, IdlePollInterval: 50 * time.Millisecond, StallAfter: time.Second, Metrics: metrics})

	// A writer runs throughout: 40 orders, one version per transaction.
	var (
		mu       sync.Mutex
		versions = map[string]int{}
	)
	ctx, stopWriter := context.WithCancel(context.Background())
	written := make(chan struct{})
	go func() {
		defer close(written)
		for i := 0; ctx.Err() == nil; i++ {
			order := fmt.Sprintf("order-%d", i%40)
			mu.Lock()
			v := versions[order] + 1
			mu.Unlock()
			msg := newMessage(t, order, v)
			err := pgtx.Do(ctx, db, func(uow *pgtx.UnitOfWork) error { return pub.Publish(ctx, uow, topic, msg) })
			if err != nil {
				if ctx.Err() == nil {
					t.Errorf("write %s v%d: %v", order, v, err)
				}
				return
			}
			mu.Lock()
			versions[order] = v
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
		}
	}()
	time.Sleep(time.Second)

	// The "restore": every shard's rows and position a million IDs ahead,
	// each row rewritten by another transaction (its xmin, as after COPY).
	for _, sqlTopic := range box.SQLTopics() {
		simulateRestore(t, db, sqlTopic)
	}
	positions := readPositions(t, db, box)

	// Noticed while running: every shard reported, no position moved.
	deadline := time.Now().Add(15 * time.Second)
	for stalledShards(t, reg, "ahead_of_xids") < box.Shards {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d shards reported ahead_of_xids within 15 s", stalledShards(t, reg, "ahead_of_xids"), box.Shards)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // the writer goes on
	if now := readPositions(t, db, box); fmt.Sprint(now) != fmt.Sprint(positions) {
		t.Errorf("positions moved on a shard ahead of the xids:\n%v\n%v", positions, now)
	}

	done, err := admin.Repair(context.Background(), db, box, outbox.DefaultConsumerGroup)
	if err != nil || len(done) != box.Shards {
		t.Fatalf("Repair: %v, %q", err, done)
	}
	time.Sleep(500 * time.Millisecond) // a little writing after the repair too
	stopWriter()
	<-written

	mu.Lock()
	total := 0
	for _, v := range versions {
		total += v
	}
	mu.Unlock()
	records := readEvents(t, brokers, topic, total, time.Minute)
	duplicates := checkDelivery(t, records, versions)
	t.Logf("%d events written, %d records on Kafka, %d duplicates", total, len(records), duplicates)
	if stalledShards(t, reg, "ahead_of_xids") != 0 {
		time.Sleep(3 * time.Second) // the watcher's next look
		if n := stalledShards(t, reg, "ahead_of_xids"); n != 0 {
			t.Errorf("%d shards still reported ahead_of_xids after repair", n)
		}
	}
}

func simulateRestore(t *testing.T, db *sql.DB, sqlTopic string) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := shard.Lock(ctx, tx, sqlTopic, outbox.DefaultConsumerGroup); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`LOCK TABLE ` + outbox.MessagesTable(sqlTopic) + ` IN EXCLUSIVE MODE`,
		`UPDATE ` + outbox.MessagesTable(sqlTopic) + ` SET transaction_id = (transaction_id::text::bigint + 1000000)::text::xid8`,
		`UPDATE ` + outbox.OffsetsTable(sqlTopic) + ` SET last_processed_transaction_id = (last_processed_transaction_id::text::bigint + 1000000)::text::xid8`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func readPositions(t *testing.T, db *sql.DB, box outbox.Config) []string {
	t.Helper()
	var out []string
	for _, sqlTopic := range box.SQLTopics() {
		var p string
		err := db.QueryRow(`SELECT last_processed_transaction_id || '/' || offset_acked FROM `+outbox.OffsetsTable(sqlTopic)+
			` WHERE consumer_group = $1`, outbox.DefaultConsumerGroup).Scan(&p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// stalledShards counts the shards outbox_shard_stalled reports for reason.
func stalledShards(t *testing.T, reg *prometheus.Registry, reason string) int {
	t.Helper()
	n := 0
	for _, v := range gauges(t, reg, "outbox_shard_stalled", "reason", reason) {
		if v == 1 {
			n++
		}
	}
	return n
}

// gauges returns the values of the gauge name in reg whose label has value.
func gauges(t *testing.T, reg *prometheus.Registry, name, label, value string) []float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var values []float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					values = append(values, m.GetGauge().GetValue())
				}
			}
		}
	}
	return values
}
