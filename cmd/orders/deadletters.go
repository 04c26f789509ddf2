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

// runDeadLetters runs `orders outbox dead-letters list|show|replay|skip`;
// the work is admin's (see docs/forwarder.md, "Dead letters"). Without a
// subcommand it lists, as before.
func runDeadLetters(ctx context.Context, r *root, ob outbox.Config, args []string) error {
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
		return listDeadLetters(ctx, r, ob, *n)
	case "show":
		if len(args) != 1 {
			return errors.New("usage: orders outbox dead-letters show ID")
		}
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			return fmt.Errorf("dead letter ID %q: %w", args[0], err)
		}
		d, err := admin.DeadLetterByID(ctx, r.db, ob.Name, id)
		if err != nil {
			return err
		}
		showDeadLetter(d)
		return nil
	case "replay", "skip":
		if len(args) != 1 {
			return fmt.Errorf("usage: orders outbox dead-letters %s ORDER_OR_ID", cmd)
		}
		var (
			res admin.Resolution
			err error
		)
		if cmd == "skip" {
			res, err = admin.SkipDeadLetters(ctx, r.db, ob, outbox.DefaultConsumerGroup, args[0])
		} else {
			pub, perr := kafka.NewPublisher(r.cfg.Kafka.Brokers, nil)
			if perr != nil {
				return perr
			}
			defer func() { _ = pub.Close() }()
			res, err = admin.ReplayDeadLetters(ctx, r.db, ob, outbox.DefaultConsumerGroup, pub, args[0])
		}
		if err == nil || len(res.Done) > 0 {
			fmt.Printf("%s %d letter(s) %v of order %q; %d still held\n", map[string]string{"skip": "skipped", "replay": "replayed"}[cmd],
				len(res.Done), res.Done, res.Order, res.StillOpen)
		}
		return err
	default:
		return fmt.Errorf("unknown dead-letters command %q: want list, show, replay or skip", cmd)
	}
}

func listDeadLetters(ctx context.Context, r *root, ob outbox.Config, n int) error {
	letters, err := admin.DeadLetters(ctx, r.db, ob.Name, n)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(w, "ID\tAT\tSTATUS\tORDER\tSQL TOPIC\tOFFSET\tREASON")
	for _, d := range letters {
		reason := d.Reason
		if len(reason) > 100 {
			reason = reason[:100] + "…"
		}
		_, _ = fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", d.ID, d.DeadLettered.Format(time.RFC3339), d.Status, d.Order, d.SQLTopic, d.Offset, reason)
	}
	return w.Flush()
}

func showDeadLetter(d admin.DeadLetter) {
	fmt.Printf("id:          %d\nstatus:      %s\norder:       %s\nuuid:        %s\n", d.ID, d.Status, d.Order, d.UUID)
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
