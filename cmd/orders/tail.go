package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/orderflow/orders/adapters/kafka"
)

// runTail prints the order events on Kafka: partition, offset, key (the
// order ID), event name and payload.
func runTail(ctx context.Context, r *resources, args []string) error {
	flags := flag.NewFlagSet("tail", flag.ContinueOnError)
	follow := flags.Bool("follow", false, "keep printing new events until interrupted")
	topic := flags.String("topic", r.cfg.Topics.Orders, "Kafka topic to read")
	if err := flags.Parse(args); err != nil {
		return err
	}
	count := 0
	err := kafka.ReadTopic(ctx, r.cfg.Kafka.Brokers, *topic, *follow, func(r kafka.Record) error {
		count++
		fmt.Printf("partition=%d offset=%d key=%s name=%s\n  %s\n", r.Partition, r.Offset, r.Key, r.Headers["name"], r.Value)
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("%d event(s) on %s\n", count, *topic)
	return nil
}
