package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
)

// runDeadLetters runs `orders outbox dead-letters list|show|replay|skip`
// on each of boxes (named: the one -outbox named); the work is admin's
// (see docs/forwarder.md, "Dead letters"). Without a subcommand it lists,
// as before.
func runDeadLetters(ctx context.Context, r *resources, boxes []managedOutbox, named bool, args []string) error {
	cmd := "list"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "list":
		flags := flag.NewFlagSet("dead-letters list", flag.ContinueOnError)
		n := flags.Int("n", 20, "how many to show")
		if err := flags.Parse(args); err != nil {
			return err
		}
		return listDeadLetters(ctx, boxes, *n)
	case "show":
		if len(args) != 1 {
			return errors.New("usage: orders outbox [-outbox NAME] dead-letters show ID")
		}
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			return fmt.Errorf("dead letter ID %q: %w", args[0], err)
		}
		if err := oneDatabase(boxes, named); err != nil {
			return err
		}
		for _, box := range boxes {
			d, err := admin.DeadLetterByID(ctx, box.db, box.cfg.Name, id)
			if errors.Is(err, admin.ErrNoDeadLetter) {
				continue
			}
			if err != nil {
				return err
			}
			showDeadLetter(box.cfg.Name, d)
			return nil
		}
		return fmt.Errorf("no dead letter %d", id)
	case "replay", "skip":
		if len(args) != 1 {
			return fmt.Errorf("usage: orders outbox [-outbox NAME] dead-letters %s ORDER_OR_ID", cmd)
		}
		if _, err := strconv.ParseInt(args[0], 10, 64); err == nil {
			if err := oneDatabase(boxes, named); err != nil {
				return err
			}
		}
		return resolveDeadLetters(ctx, r, boxes, cmd, args[0])
	default:
		return fmt.Errorf("unknown dead-letters command %q: want list, show, replay or skip", cmd)
	}
}

// oneDatabase refuses a letter's ID for outboxes in several databases:
// IDs are numbered per database, so one could name a letter in each.
func oneDatabase(boxes []managedOutbox, named bool) error {
	if named {
		return nil
	}
	for _, box := range boxes[1:] {
		if box.db != boxes[0].db {
			return errors.New("the outboxes are in different databases, each numbering its letters: name the letter's outbox with -outbox")
		}
	}
	return nil
}

// resolveDeadLetters replays or skips the letters of an order (or from a
// letter's ID) in each outbox that has some.
func resolveDeadLetters(ctx context.Context, r *resources, boxes []managedOutbox, cmd, orderOrID string) error {
	var pub *kafka.Publisher
	if cmd == "replay" {
		var err error
		if pub, err = kafka.NewPublisher(r.cfg.Kafka.Brokers, 0, nil); err != nil {
			return err
		}
		defer func() { _ = pub.Close() }()
	}
	found := false
	var errs []error
	for _, box := range boxes {
		var (
			res admin.Resolution
			err error
		)
		if cmd == "skip" {
			res, err = admin.SkipDeadLetters(ctx, box.db, box.cfg, outbox.DefaultConsumerGroup, orderOrID)
		} else {
			res, err = admin.ReplayDeadLetters(ctx, box.db, box.cfg, outbox.DefaultConsumerGroup, pub, orderOrID)
		}
		if errors.Is(err, admin.ErrNoDeadLetter) && len(boxes) > 1 {
			continue
		}
		found = true
		if err == nil || len(res.Done) > 0 {
			fmt.Printf("outbox %s: %s %d letter(s) %v of order %q; %d still held\n", box.cfg.Name,
				map[string]string{"skip": "skipped", "replay": "replayed"}[cmd], len(res.Done), res.Done, res.Order, res.StillOpen)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("outbox %s: %w", box.cfg.Name, err))
		}
	}
	if !found {
		return fmt.Errorf("%q: no open dead letter of that order or ID in any outbox: %w", orderOrID, admin.ErrNoDeadLetter)
	}
	return errors.Join(errs...)
}

func listDeadLetters(ctx context.Context, boxes []managedOutbox, n int) error {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(w, "OUTBOX\tID\tAT\tSTATUS\tORDER\tSQL TOPIC\tOFFSET\tREASON")
	for _, box := range boxes {
		letters, err := admin.DeadLetters(ctx, box.db, box.cfg.Name, n)
		if err != nil {
			return fmt.Errorf("outbox %s: %w", box.cfg.Name, err)
		}
		for _, d := range letters {
			reason := d.Reason
			if len(reason) > 100 {
				reason = reason[:100] + "…"
			}
			_, _ = fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\n", box.cfg.Name, d.ID, d.DeadLettered.Format(time.RFC3339), d.Status, d.Order, d.SQLTopic, d.Offset, reason)
		}
	}
	return w.Flush()
}

func showDeadLetter(outboxName string, d admin.DeadLetter) {
	fmt.Printf("outbox:      %s\nid:          %d\nstatus:      %s\norder:       %s\nuuid:        %s\n", outboxName, d.ID, d.Status, d.Order, d.UUID)
	if d.HeldBehind != 0 {
		fmt.Printf("held behind: %d\n", d.HeldBehind)
	}
	fmt.Printf("at:          %s\nshard:       %s offset %d\nreason:      %s\n", d.DeadLettered.Format(time.RFC3339), d.SQLTopic, d.Offset, d.Reason)
	if d.ResolvedAt != nil {
		fmt.Printf("resolved:    %s\n", d.ResolvedAt.Format(time.RFC3339))
	}
	payload := d.Payload
	if len(payload) > 2000 {
		payload = payload[:2000]
	}
	fmt.Printf("topic:       %s\nmetadata:    %s\npayload:     %q\n", d.Destination, d.Metadata, payload)
}
