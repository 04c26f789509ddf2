package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
)

// runOutboxForwarder runs the relay of the orders outbox, and the
// process's /metrics, until ctx ends.
func runOutboxForwarder(ctx context.Context, r *root) error {
	cfg := r.cfg
	if err := ensureTopics(ctx, r, cfg.Topics.Orders); err != nil {
		return err
	}
	if cfg.HTTP.Metrics != "off" {
		stop, err := serveMetrics(ctx, cfg.HTTP.Metrics, r.registry)
		if err != nil {
			return err
		}
		defer stop()
	}
	return runRelay(ctx, r, cfg.Outbox.ordersOutbox())
}

// untilDone calls fn until it succeeds or ctx ends, waiting up to 5s
// between attempts: the forwarder starts while Kafka is still down.
func untilDone(ctx context.Context, logger *slog.Logger, what string, fn func() error) error {
	wait := 250 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return nil
		}
		logger.WarnContext(ctx, what+" not reachable yet; retrying", "err", err, "wait", wait)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, errors.Join(err, ctx.Err()))
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// serveMetrics serves /metrics on addr. The address is bound before it
// returns, so a second process on the same host with the default
// METRICS_ADDR fails at start-up with an error saying what to set (a
// fall-back port would be one Prometheus does not scrape).
func serveMetrics(ctx context.Context, addr string, registry *prometheus.Registry) (stop func(), err error) {
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("metrics server: %s is in use, by another orders process on this host? "+
			"Give each process its own METRICS_ADDR (such as METRICS_ADDR=:9091), or METRICS_ADDR=off: %w", addr, err)
	}
	if err != nil {
		return nil, fmt.Errorf("metrics server on %s (METRICS_ADDR): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{Registry: registry}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }() // ends with Shutdown
	return func() {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}, nil
}

const outboxUsage = `usage: orders outbox <command>

commands:
  status                 each shard's position, backlog, oldest message and problems;
                         exit status 1 when a shard is stalled
  repair                 mend stalled shards (missing or impossible positions)
  reshard -shards N      change the number of shards; only when the outbox is drained
  dead-letters list [-n 20]            the latest dead and held letters and why
  dead-letters show ID                 one letter in full
  dead-letters replay ORDER_OR_ID      send an order's held letters to Kafka, in order; release it
  dead-letters skip ORDER_OR_ID        give up an order's held letters; release it`

// runOutbox runs the outbox's administrative commands.
func runOutbox(ctx context.Context, r *root, args []string) error {
	if len(args) == 0 {
		return errors.New(outboxUsage)
	}
	db, ob := r.db, r.cfg.Outbox.ordersOutbox()
	switch args[0] {
	case "status":
		return outboxStatus(ctx, db, ob)
	case "repair":
		var done []string
		err := withProgress(ctx, r, "outbox repair", "shards", func(ctx context.Context) (err error) {
			done, err = admin.Repair(ctx, db, ob, outbox.DefaultConsumerGroup)
			return err
		})
		for _, d := range done {
			fmt.Println(d)
		}
		if err == nil && len(done) == 0 {
			fmt.Println("no shard is stalled; nothing to repair")
		}
		return err
	case "reshard":
		flags := flag.NewFlagSet("reshard", flag.ContinueOnError)
		shards := flags.Int("shards", 0, "the new number of shards")
		if err := flags.Parse(args[1:]); err != nil {
			return err
		}
		err := withProgress(ctx, r, "outbox reshard", "shards", func(ctx context.Context) error {
			return admin.ChangeShards(ctx, db, ob.Name, *shards)
		})
		if err != nil {
			return err
		}
		fmt.Printf("outbox %s now has %d shards: start the API and the forwarder with OUTBOX_SHARDS=%d\n", ob.Name, *shards, *shards)
		return nil
	case "dead-letters":
		return runDeadLetters(ctx, r, ob, args[1:])
	default:
		return errors.New("unknown outbox command " + args[0] + "\n" + outboxUsage)
	}
}

func outboxStatus(ctx context.Context, db *sql.DB, ob outbox.Config) error {
	statuses, err := admin.Status(ctx, db, ob, outbox.DefaultConsumerGroup)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(w, "SQL TOPIC\tPOSITION\tBACKLOG\tOLDEST\tSTATE")
	stalled := 0
	for _, s := range statuses {
		position := s.Position
		if position == "" {
			position = "-"
		}
		_, _ = fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", s.SQLTopic, position, s.Backlog, s.OldestAge.Round(time.Millisecond), s.Problem)
		if s.Stalled {
			stalled++
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if stalled > 0 {
		return fmt.Errorf("%d shard(s) stalled: run `orders outbox repair` (see docs/forwarder.md)", stalled)
	}
	return nil
}
