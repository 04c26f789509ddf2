package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"

	"github.com/orderflow/orders/adapters/paymentgateway"
	"github.com/orderflow/orders/cmd/orders/service"
)

// consumerNames are the consumers that park messages, in the order a
// release visits them.
var consumerNames = []string{service.InventoryConsumerName, service.PaymentConsumerName, service.SagaConsumerName}

// runParkedRelease runs `orders parked release ORDER_ID`: each consumer
// that parked messages of the order hands them to its handlers again, in
// order, and unparks the order once all went through (docs/saga.md,
// "Parking"). The effects' events go through the services' outboxes, as
// when the consumers apply them.
func runParkedRelease(ctx context.Context, r *resources, args []string) error {
	flags := flag.NewFlagSet("parked release", flag.ContinueOnError)
	only := flags.String("consumer", "", "release only this consumer's: inventory, payment or order-saga")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() != 1 || flags.Arg(0) == "" {
		return errors.New("usage: orders parked release [-consumer NAME] ORDER_ID")
	}
	if *only != "" && !slices.Contains(consumerNames, *only) {
		return fmt.Errorf("unknown consumer %q: want inventory, payment or order-saga", *only)
	}
	orderID := flags.Arg(0)
	var parkedBy []string
	for _, name := range consumerNames {
		if *only != "" && *only != name {
			continue
		}
		lot, err := service.ParkingLot(r.db, name)
		if err != nil {
			return err
		}
		parked, err := lot.IsParked(ctx, name, orderID)
		if err != nil {
			return err
		}
		if parked {
			parkedBy = append(parkedBy, name)
		}
	}
	switch {
	case len(parkedBy) == 0 && *only != "":
		return fmt.Errorf("order %s is not parked by %s: it has no parked messages (see `orders parked`)", orderID, *only)
	case len(parkedBy) == 0:
		return fmt.Errorf("order %s is not parked: no consumer has parked messages of it (see `orders parked`)", orderID)
	}
	var errs error
	for _, name := range parkedBy {
		releaser, err := newReleaser(ctx, r, name)
		if err != nil {
			return err
		}
		n, err := releaser.Release(ctx, orderID)
		if err != nil {
			fmt.Printf("%s: %d message(s) of order %s went through, then one failed again; the order stays parked\n", name, n, orderID)
			errs = errors.Join(errs, err)
			continue
		}
		fmt.Printf("%s: %d message(s) of order %s went through; the order is no longer parked\n", name, n, orderID)
	}
	return errs
}

// newReleaser builds the consumer's application as its command does, with
// the process's outbox publishers.
func newReleaser(ctx context.Context, r *resources, consumer string) (service.Releaser, error) {
	t := r.cfg.Topics
	switch consumer {
	case service.InventoryConsumerName:
		publisher, err := outboxPublisher(ctx, r, r.cfg.Outbox.inventoryOutbox())
		if err != nil {
			return service.Releaser{}, err
		}
		db := r.dbOf(inventoryService)
		application, err := service.NewInventoryApplication(db, publisher, t.Inventory, r.telemetry())
		if err != nil {
			return service.Releaser{}, err
		}
		return service.NewInventoryReleaser(db, application, r.logger)
	case service.PaymentConsumerName:
		publisher, err := outboxPublisher(ctx, r, r.cfg.Outbox.paymentOutbox())
		if err != nil {
			return service.Releaser{}, err
		}
		db := r.dbOf(paymentService)
		gateway, err := paymentgateway.NewSimulated(db, *r.cfg.Consumers.PaymentDeclineAbove)
		if err != nil {
			return service.Releaser{}, err
		}
		application, err := service.NewPaymentApplication(db, publisher, gateway, t.Payments, r.telemetry())
		if err != nil {
			return service.Releaser{}, err
		}
		return service.NewPaymentReleaser(db, application, r.logger)
	default:
		publisher, err := outboxPublisher(ctx, r, r.cfg.Outbox.ordersOutbox())
		if err != nil {
			return service.Releaser{}, err
		}
		return service.NewSagaReleaser(r.db, publisher, t.Orders, r.telemetry())
	}
}
