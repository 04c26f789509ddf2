package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/orderflow/orders/cmd/orders/service"
)

// runParked lists the messages the consumers parked (docs/saga.md,
// "Parking"): each failed message and the later ones of its order;
// `parked release ORDER_ID` releases an order.
func runParked(ctx context.Context, r *resources, args []string) error {
	if len(args) > 0 && args[0] == "release" {
		return runParkedRelease(ctx, r, args[1:])
	}
	flags := flag.NewFlagSet("parked", flag.ContinueOnError)
	only := flags.String("consumer", "", "list only this consumer's: inventory, payment or order-saga")
	if err := flags.Parse(args); err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CONSUMER\tSEQ\tORDER\tEVENT\tMESSAGE\tPARKED AT\tREASON")
	count, known := 0, false
	for _, name := range consumerNames {
		if *only != "" && *only != name {
			continue
		}
		known = true
		lot, err := service.ParkingLot(r.dbOf(serviceOfConsumer(name)), name)
		if err != nil {
			return err
		}
		parked, err := lot.Parked(ctx, name)
		if err != nil {
			return err
		}
		for _, m := range parked {
			count++
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", m.Consumer, m.Seq, m.OrderKey, m.EventType, m.MessageID,
				m.ParkedAt.Format(time.RFC3339), m.Reason)
		}
	}
	if !known {
		return fmt.Errorf("unknown consumer %q: want inventory, payment or order-saga", *only)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Printf("%d parked message(s)\n", count)
	return nil
}

// serviceOfConsumer names the service whose database holds a consumer's
// inbox and parking lot.
func serviceOfConsumer(consumer string) string {
	switch consumer {
	case service.InventoryConsumerName:
		return inventoryService
	case service.PaymentConsumerName:
		return paymentService
	default:
		return ordersService
	}
}
