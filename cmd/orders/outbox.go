package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
)

// runOutboxForwarder runs the relay of the orders outbox until ctx ends.
func runOutboxForwarder(ctx context.Context, r *root) error {
	if err := ensureTopics(ctx, r, r.cfg.Topics.Orders); err != nil {
		return err
	}
	return runRelay(ctx, r, r.cfg.Outbox.ordersOutbox())
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
		fmt.Printf("outbox %s now has %d shards: start the API and the forwarder with OUTBOX_SHARDS unset (the database's count) or %d\n",
			ob.Name, *shards, *shards)
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
