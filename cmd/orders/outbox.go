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

// forwardOrdersOutbox runs the forwarder of the orders outbox until ctx ends.
func forwardOrdersOutbox(ctx context.Context, r *resources) error {
	if err := ensureTopics(ctx, r, r.cfg.Topics.Orders); err != nil {
		return err
	}
	return forwardOutbox(ctx, r, r.cfg.Outbox.ordersOutbox())
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

const outboxUsage = `usage: orders outbox [-outbox orders|inventory|payment] <command>

Each command works on every outbox (orders, inventory, payment), each in its
service's database, or on the one -outbox names; reshard on the orders
outbox unless -outbox names another.

commands:
  status                 each shard's position, backlog, oldest message and problems;
                         exit status 1 when a shard is stalled
  repair                 mend stalled shards (missing or impossible positions)
  reshard -shards N      change the number of shards; only when the outbox is drained
  dead-letters list [-n 20]            the latest dead and held letters and why
  dead-letters show ID                 one letter in full
  dead-letters replay ORDER_OR_ID      send an order's held letters to Kafka, in order; release it
  dead-letters skip ORDER_OR_ID        give up an order's held letters; release it`

// managedOutbox is an outbox and the database it lives in.
type managedOutbox struct {
	db  *sql.DB
	cfg outbox.Config
}

// outboxesNamed returns the outbox name names, or every outbox for "".
func (r *resources) outboxesNamed(name string) ([]managedOutbox, error) {
	all := []managedOutbox{
		{r.dbOf(ordersService), r.cfg.Outbox.ordersOutbox()},
		{r.dbOf(inventoryService), r.cfg.Outbox.inventoryOutbox()},
		{r.dbOf(paymentService), r.cfg.Outbox.paymentOutbox()},
	}
	if name == "" {
		return all, nil
	}
	for _, box := range all {
		if box.cfg.Name == name {
			return []managedOutbox{box}, nil
		}
	}
	return nil, fmt.Errorf("-outbox %q: want orders, inventory or payment", name)
}

// runOutbox runs the outboxes' administrative commands.
func runOutbox(ctx context.Context, r *resources, args []string) error {
	flags := flag.NewFlagSet("outbox", flag.ContinueOnError)
	name := flags.String("outbox", "", "the outbox to work on: orders, inventory or payment (default: each)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if args = flags.Args(); len(args) == 0 {
		return errors.New(outboxUsage)
	}
	boxes, err := r.outboxesNamed(*name)
	if err != nil {
		return err
	}
	switch args[0] {
	case "status":
		return outboxStatus(ctx, boxes)
	case "repair":
		return outboxRepair(ctx, r, boxes)
	case "reshard":
		if *name == "" {
			boxes = boxes[:1] // the orders outbox
		}
		return outboxReshard(ctx, r, boxes[0], args[1:])
	case "dead-letters":
		return runDeadLetters(ctx, r, boxes, *name != "", args[1:])
	default:
		return errors.New("unknown outbox command " + args[0] + "\n" + outboxUsage)
	}
}

func outboxRepair(ctx context.Context, r *resources, boxes []managedOutbox) error {
	var errs []error
	for _, box := range boxes {
		var done []string
		err := withProgress(ctx, r, "outbox repair", "shards", func(ctx context.Context) (err error) {
			done, err = admin.Repair(ctx, box.db, box.cfg, outbox.DefaultConsumerGroup)
			return err
		})
		for _, d := range done {
			fmt.Printf("outbox %s: %s\n", box.cfg.Name, d)
		}
		if err == nil && len(done) == 0 {
			fmt.Printf("outbox %s: no shard is stalled; nothing to repair\n", box.cfg.Name)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("outbox %s: %w", box.cfg.Name, err))
		}
	}
	return errors.Join(errs...)
}

func outboxReshard(ctx context.Context, r *resources, box managedOutbox, args []string) error {
	flags := flag.NewFlagSet("reshard", flag.ContinueOnError)
	shards := flags.Int("shards", 0, "the new number of shards")
	if err := flags.Parse(args); err != nil {
		return err
	}
	err := withProgress(ctx, r, "outbox reshard", "shards", func(ctx context.Context) error {
		return admin.ChangeShards(ctx, box.db, box.cfg.Name, *shards)
	})
	if err != nil {
		return err
	}
	if box.cfg.Name == outbox.Orders.Name {
		fmt.Printf("outbox %s now has %d shards: start the API and the forwarder with OUTBOX_SHARDS unset (the database's count) or %d\n",
			box.cfg.Name, *shards, *shards)
	} else {
		fmt.Printf("outbox %s now has %d shards: start its service again\n", box.cfg.Name, *shards)
	}
	return nil
}

// blockedLine names the session that blocks a shard, for
// pg_terminate_backend.
func blockedLine(box, topic string, b admin.Blocker) string {
	line := fmt.Sprintf("%s %s: blocked by PID %d (%s, transaction %s old): %s", box, topic, b.PID, or(b.State, "state not shown"),
		b.XactAge.Round(time.Millisecond), or(b.Query, "query not shown"))
	if b.Waiting() {
		line += fmt.Sprintf("; its writer PID %d waits for that session's lock", b.WriterPID)
	}
	return line
}

func outboxStatus(ctx context.Context, boxes []managedOutbox) error {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(w, "OUTBOX\tSQL TOPIC\tPOSITION\tBACKLOG\tOLDEST\tSTATE")
	stalled := 0
	var errs []error
	var heldBack []string
	for _, box := range boxes {
		statuses, err := admin.Status(ctx, box.db, box.cfg, outbox.DefaultConsumerGroup)
		if err != nil {
			errs = append(errs, fmt.Errorf("outbox %s: %w", box.cfg.Name, err))
			continue
		}
		for _, s := range statuses {
			position := s.Position
			if position == "" {
				position = "-"
			}
			_, _ = fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", box.cfg.Name, s.SQLTopic, position, s.Backlog, s.OldestAge.Round(time.Millisecond), s.Problem)
			if s.Stalled {
				stalled++
			}
			if b := s.BlockedBy; b != nil {
				heldBack = append(heldBack, blockedLine(box.cfg.Name, s.SQLTopic, *b))
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, line := range heldBack {
		fmt.Println(line)
	}
	if stalled > 0 {
		errs = append(errs, fmt.Errorf("%d shard(s) stalled: run `orders outbox repair` (see docs/forwarder.md)", stalled))
	}
	return errors.Join(errs...)
}
