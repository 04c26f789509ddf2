package forwarder_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/adapters/outbox/internal/shard"
	"github.com/orderflow/orders/internal/testenv"
)

// TestAStallNamesTheSessionThatHoldsTheShardsWriterBack: a writer of the
// shard (announced, with a transaction ID) waits for a row that a session
// writing no outbox holds, here without a lock timeout. The barrier holds
// the shard's later rows back; the stall's WARN, the blocker-age gauge and
// `orders outbox status` name the session the writer waits for (its PID,
// for pg_terminate_backend, and its query), not only the forwarder that holds
// the shard's lease. Once the session lets go, the rows go.
func TestAStallNamesTheSessionThatHoldsTheShardsWriterBack(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 1)
	pub := testenv.OutboxPublisher(t, outbox.Orders)
	sqlTopic := outbox.Orders.SQLTopic(0)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE held_row (id int PRIMARY KEY); INSERT INTO held_row VALUES (1)`); err != nil {
		t.Fatal(err)
	}

	holder, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var holderPID int64
	if err := holder.QueryRowContext(ctx, `SELECT pg_backend_pid() FROM held_row FOR UPDATE`).Scan(&holderPID); err != nil {
		t.Fatal(err)
	}
	writer, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The holder first: the writer's rollback waits for its update, which
	// waits for the holder.
	defer func() { _, _ = holder.Rollback(), writer.Rollback() }()
	var writerPID int64
	if _, err := writer.ExecContext(ctx, shard.AnnounceQuery([]string{sqlTopic})); err != nil {
		t.Fatal(err)
	}
	if err := writer.QueryRowContext(ctx, `SELECT pg_backend_pid() FROM (SELECT pg_current_xact_id()) AS id`).Scan(&writerPID); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		_, err := writer.ExecContext(ctx, `UPDATE held_row SET id = id`)
		waited <- err
	}()
	publish(t, db, pub, topic, newMessage(t, "order-1", 1)) // a later writer: behind the barrier

	reg := prometheus.NewRegistry()
	metrics, err := forwarder.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	logs := watermill.NewCaptureLogger()
	startLoggingForwarder(t, db, dbURL, brokers, forwarder.Config{IdlePollInterval: 50 * time.Millisecond, StallAfter: 500 * time.Millisecond, Metrics: metrics}, logs)

	var fields watermill.LogFields
	testenv.WaitFor(t, 15*time.Second, "a stall WARN naming the blocker", func() (bool, string) {
		for _, l := range logs.Captured()[watermill.ErrorLogLevel] { // the capture logger takes warnings as errors
			if strings.HasPrefix(l.Msg, "Outbox shard stalled") {
				fields = l.Fields
				return true, ""
			}
		}
		return false, "no stall logged"
	})
	if fields["blocker_pid"] != holderPID || fields["blocked_writer_pid"] != writerPID {
		t.Errorf("the stall names blocker %v and writer %v, want %d (the row's holder) and %d", fields["blocker_pid"], fields["blocked_writer_pid"], holderPID, writerPID)
	}
	if q, _ := fields["blocker_query"].(string); !strings.Contains(q, "FOR UPDATE") {
		t.Errorf("the stall names the blocker's query %q, want the holder's", q)
	}
	if age, _ := fields["blocker_xact_age"].(time.Duration); age <= 0 {
		t.Errorf("the stall names the blocker's transaction age %v", fields["blocker_xact_age"])
	}
	if age := gaugeValue(t, reg, "outbox_shard_blocker_age_seconds", sqlTopic); age <= 0 {
		t.Errorf("outbox_shard_blocker_age_seconds = %v while the shard is blocked", age)
	}

	testenv.WaitFor(t, 5*time.Second, "`orders outbox status` naming the blocker", func() (bool, string) {
		statuses, err := admin.Status(ctx, db, outbox.Orders, outbox.DefaultConsumerGroup)
		if err != nil {
			t.Fatal(err)
		}
		b := statuses[0].BlockedBy
		if b == nil {
			return false, "blocked by nobody"
		}
		return b.PID == holderPID && b.WriterPID == writerPID && b.Waiting() && strings.Contains(b.Query, "FOR UPDATE"), fmt.Sprintf("%+v", *b)
	})

	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Fatalf("the writer's update: %v", err)
	}
	if err := writer.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := readEvents(t, brokers, topic, 1, 20*time.Second); len(got) != 1 {
		t.Fatalf("%d records on Kafka once the row was free, want 1", len(got))
	}
	if age := gaugeValue(t, reg, "outbox_shard_blocker_age_seconds", sqlTopic); age != 0 {
		testenv.WaitFor(t, 5*time.Second, "the blocker-age gauge back at 0", func() (bool, string) {
			age := gaugeValue(t, reg, "outbox_shard_blocker_age_seconds", sqlTopic)
			return age == 0, fmt.Sprint(age)
		})
	}
}

// gaugeValue reads the gauge name of sqlTopic from reg (-1 when absent).
func gaugeValue(t *testing.T, reg *prometheus.Registry, name, sqlTopic string) float64 {
	t.Helper()
	if v := gauges(t, reg, name, "sql_topic", sqlTopic); len(v) > 0 {
		return v[0]
	}
	return -1
}
