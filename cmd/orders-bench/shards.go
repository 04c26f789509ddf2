package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/adapters/postgres"
)

// The shard sweep measures commit → Kafka (`orders api` and `orders
// forwarder` alone) at the end-to-end rates once per orders-outbox shard
// count, each on a fresh database, so that the default shard count is
// chosen by measurement (docs/benchmarks.md, "Choosing the shard count").

// reshard gives the fresh, empty orders outbox of db that many shards; a
// new database's has outbox.DefaultShards already.
func reshard(ctx context.Context, db database, shards int) error {
	if shards == outbox.DefaultShards {
		return nil
	}
	conn, err := postgres.Open(ctx, db.url)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	return admin.ChangeShards(ctx, conn, outbox.Orders.Name, shards)
}

// measureShards runs the sweep: one end-to-end result per shard count.
func measureShards(ctx context.Context, e *environment, o options, rates []float64, log io.Writer) ([]*e2eResult, error) {
	sweep := o
	sweep.Latency, sweep.Idle = o.ShardLatency, o.ShardIdle
	var out []*e2eResult
	for _, n := range o.Shards {
		fmt.Fprintf(log, "shard sweep: %d shard(s)\n", n)
		r, err := measureEndToEnd(ctx, e, sweep, nil, rates, n, log)
		if err != nil {
			return nil, fmt.Errorf("%d shards: %w", n, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func (r *results) printShards(w io.Writer) {
	if len(r.Shards) == 0 {
		return
	}
	fmt.Fprintf(w, "## Orders outbox shards: commit → Kafka by shard count (orders api, forwarder; %s per rate, a fresh database each)\n\n", r.Options.ShardLatency)
	fmt.Fprintln(w, "| shards | rate | n | p50, from the commit | p99, from the commit | p99, low … high | placing transaction p99 | forwarder CPU s / 1,000 | PostgreSQL CPU s / 1,000 | idle forwarder, % of a core | machine busy | background load |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, e := range r.Shards {
		name := fmt.Sprint(e.Shards)
		if e.Shards == outbox.DefaultShards {
			name += " (default)"
		}
		idle := usageNamed(e.IdleCPU, "orders forwarder")
		for _, ph := range e.Phases {
			fmt.Fprintf(w, "| %s | %.0f/s | %d | %s | %s | %s … %s | %s | %.3f | %.3f | %.2f | %.0f%% | %.0f%% |\n", name, ph.Rate, ph.ToKafka.High.N,
				orDash(ph.ToKafka.Commit, ph.ToKafka.Commit.P50), orDash(ph.ToKafka.Commit, ph.ToKafka.Commit.P99), ms(ph.ToKafka.Low.P99), ms(ph.ToKafka.High.P99),
				orDash(ph.Transaction, ph.Transaction.P99),
				usageNamed(ph.CPU, "orders forwarder"), usageNamed(ph.CPU, "PostgreSQL"), idle, 100*ph.Busy, 100*ph.Background)
		}
	}
	fmt.Fprintln(w)
}

// usageNamed is the value of the first usage whose name starts with
// prefix (0 when none).
func usageNamed(us []usage, prefix string) float64 {
	for _, u := range us {
		if strings.HasPrefix(u.Name, prefix) {
			return u.Value
		}
	}
	return 0
}

// applyShards sets the sweep's shard counts from the -shards flag: a
// comma-separated list, "none", or empty for the default.
func (o *options) applyShards(flagValue string) error {
	switch flagValue {
	case "":
		return nil
	case "none":
		o.Shards = nil
		return nil
	}
	o.Shards = nil
	for _, s := range strings.Split(flagValue, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > outbox.MaxShards {
			return fmt.Errorf("-shards: %q is not a shard count (1 to %d)", s, outbox.MaxShards)
		}
		o.Shards = append(o.Shards, n)
	}
	return nil
}

// orDash is ms(v), or a dash when d measured nothing.
func orDash(d distribution, v time.Duration) string {
	if d.N == 0 {
		return "—"
	}
	return ms(v)
}
