package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHarnessSmoke runs the whole benchmark on tiny numbers against the
// real PostgreSQL and Kafka, and checks that every section produced figures
// and the plots exist; downstream, every order of the `orders all` run
// ends confirmed (stock and the payment limit are set high). No figure is
// compared with a target: timings vary with the machine and are never
// asserted in tests.
func TestHarnessSmoke(t *testing.T) {
	o := fullOptions()
	o.Clients, o.Step, o.Warmup, o.Rounds = []int{1, 2}, time.Second, 200*time.Millisecond, 1
	o.Latency, o.Idle, o.Forwarder = time.Second, 500*time.Millisecond, false
	o.BurstOrders, o.Sustained, o.EndTimeout = 40, time.Second, 3*time.Minute
	o.CapacityStep, o.CapacitySteps = time.Second, 2
	o.Shards, o.ShardLatency, o.ShardIdle = []int{2}, time.Second, 500*time.Millisecond
	o.Out = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()

	var out bytes.Buffer
	res, err := run(ctx, o, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}

	if len(res.WritePath.Steps) != 2 {
		t.Fatalf("write path: %d steps, want 2", len(res.WritePath.Steps))
	}
	for _, s := range res.WritePath.Steps {
		if s.Service <= 0 || s.NoOutbox <= 0 || s.Pgbench <= 0 {
			t.Errorf("write path at %d clients: service %.0f, without outbox %.0f, pgbench %.0f: want all > 0", s.Clients, s.Service, s.NoOutbox, s.Pgbench)
		}
		if s.Errors > 0 {
			t.Errorf("write path at %d clients: %d failed placements", s.Clients, s.Errors)
		}
	}
	for _, want := range []string{"INSERT INTO order_events", "INSERT INTO orders", "watermill_orders_outbox_", "COMMIT"} {
		if !strings.Contains(res.WritePath.Script, want) {
			t.Errorf("the pgbench script lacks %q:\n%s", want, res.WritePath.Script)
		}
	}
	if res.Drain.Backlog == 0 || res.Drain.Rate <= 0 || len(res.Drain.Series) == 0 {
		t.Errorf("drain: backlog %d, rate %.0f, %d samples", res.Drain.Backlog, res.Drain.Rate, len(res.Drain.Series))
	}
	if res.WritePath.APIProfile == "" {
		t.Error("write path: no CPU profile of the API")
	} else if st, err := os.Stat(res.WritePath.APIProfile); err != nil || st.Size() == 0 {
		t.Errorf("write path: the API's CPU profile %s is missing or empty (%v)", res.WritePath.APIProfile, err)
	}
	if len(res.Shards) != 1 || res.Shards[0].Shards != 2 || len(res.Shards[0].Phases) != 3 || res.Shards[0].Phases[2].ToKafka.High.N == 0 {
		t.Errorf("shard sweep: want one run with 2 shards and three timed phases (low, quarter, half rate), got %d runs", len(res.Shards))
	}
	if len(res.EndToEnd) != 2 {
		t.Fatalf("end to end: %d runs, want 2", len(res.EndToEnd))
	}
	for i, e := range res.EndToEnd {
		for _, ph := range e.Phases {
			if ph.Placed == 0 || ph.Missing > 0 || ph.ToKafka.High.N != ph.Placed {
				t.Errorf("run %d at %.0f/s: %d placed, %d missing, %d on Kafka", i, ph.Rate, ph.Placed, ph.Missing, ph.ToKafka.High.N)
			}
			if ph.ToKafka.High.P50 <= 0 || ph.ToKafka.High.P99 < ph.ToKafka.High.P50 || ph.ToKafka.High.Max < ph.ToKafka.High.P99 {
				t.Errorf("run %d at %.0f/s: commit → Kafka %+v is not a distribution", i, ph.Rate, ph.ToKafka.High)
			}
			// scripts/services.sh turns track_commit_timestamp on.
			if ph.ToKafka.Commit.N != ph.Placed || ph.Transaction.N != ph.Placed {
				t.Errorf("run %d at %.0f/s: %d of %d placements timed from their commit timestamp (track_commit_timestamp), %d transactions timed",
					i, ph.Rate, ph.ToKafka.Commit.N, ph.Placed, ph.Transaction.N)
			}
			if withInventory := i == 1; withInventory != (ph.ToEffect.High.N == ph.Placed) {
				t.Errorf("run %d at %.0f/s: %d reservations timed of %d placed", i, ph.Rate, ph.ToEffect.High.N, ph.Placed)
			}
		}
		if len(e.IdleCPU) == 0 || len(e.PeakRSS) == 0 {
			t.Errorf("run %d: no idle CPU or peak RSS", i)
		}
	}
	checkDownstream(t, o, res.Downstream, out.String())
	for _, want := range []string{"## Write path", "## Forwarder", "## End to end", "## Downstream", "## Targets", "service / pgbench",
		"burst: end-to-end rate", "commit → confirmed p99", "consumer lag 0 within", "CPU per confirmed order",
		"burst: confirmed end to end ≥", "statements per confirmed order", "committed transactions per confirmed order",
		"(step search)", "Sustained capacity: step search", "at 10/s", "pgbench running one confirmed order's statements"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the printed tables lack %q", want)
		}
	}
	for _, f := range []string{"results.json", "bench-latency.png", "bench-drain.png", "bench-write-path.png", "bench-burst.png", "bench-confirmed.png"} {
		if st, err := os.Stat(filepath.Join(o.Out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}
