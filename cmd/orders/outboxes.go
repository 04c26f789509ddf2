package main

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/admin"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
)

// The three services' outboxes (orders, inventory, payment) are wired the
// same way, by the two functions in this file: the publisher their
// business transactions write with, and the forwarder that forwards them to
// Kafka with the process's metrics.

// outboxPublisher returns the publisher business transactions write into
// an outbox with: one per outbox and process, so that `orders all`, whose
// API and saga both write the orders outbox, checks its layout once and
// runs one wake-up notifier for it.
func outboxPublisher(ctx context.Context, r *resources, box outbox.Config) (*outbox.Publisher, error) {
	r.publishersMu.Lock()
	defer r.publishersMu.Unlock()
	if pub, ok := r.publishers[box.Name]; ok {
		return pub, nil
	}
	pub, err := newOutboxPublisher(ctx, r, box)
	if err != nil {
		return nil, err
	}
	if r.publishers == nil {
		r.publishers = map[string]*outbox.Publisher{}
	}
	r.publishers[box.Name] = pub
	return pub, nil
}

// newOutboxPublisher checks an outbox's layout (shard count, stalls) and
// returns a publisher that, after each commit that wrote to the outbox,
// wakes the forwarders: with a NOTIFY, or in `orders all` with a call to the
// forwarder of this process (wakeup.go).
func newOutboxPublisher(ctx context.Context, r *resources, box outbox.Config) (*outbox.Publisher, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := admin.CheckLayout(ctx, r.dbOf(box.Name), box, outbox.DefaultConsumerGroup); err != nil {
		return nil, err
	}
	if r.inProcessWakeUp {
		return outbox.NewPublisher(outbox.PublisherConfig{Outbox: box, WakeUp: r.forwarderWaker(box.Name).wake}, r.wlogger())
	}
	notifier, err := forwarder.NewNotifier(r.dbOf(box.Name), forwarder.NotifierConfig{Outbox: box, Interval: r.cfg.Outbox.NotifyInterval}, r.wlogger())
	if err != nil {
		return nil, err
	}
	return outbox.NewPublisher(outbox.PublisherConfig{Outbox: box, WakeUp: notifier.Wake}, r.wlogger())
}

// forwardOutbox forwards an outbox to Kafka until ctx ends. Each shard gets a
// Kafka producer of its own, with its own connection and request in
// flight, so that the shards' sends do not queue behind one another
// (docs/benchmarks.md, "Forwarder: a Kafka producer per shard").
func forwardOutbox(ctx context.Context, r *resources, box outbox.Config) error {
	cfg, logger := r.cfg, forwarder.NewSlogLogger(r.logger) // with WARN for stalls
	listenURL, _ := cfg.Database.urlOf(box.Name)
	fwd, err := forwarder.New(r.dbOf(box.Name), forwarder.Config{
		Outbox: box,
		PublisherPerShard: func() (message.Publisher, error) {
			return kafka.NewPublisher(cfg.Kafka.Brokers, *cfg.Outbox.Linger, logger)
		},
		BatchSize:        cfg.Outbox.BatchSize,
		IdlePollInterval: cfg.Outbox.IdlePollInterval,
		SessionTimeout:   cfg.Outbox.SessionTimeout,
		StallAfter:       cfg.Outbox.StallAfter,
		ListenURL:        listenURL,
		Retention:        *cfg.Outbox.Retention,
		Metrics:          r.forwarderMetrics,
	}, logger)
	if err != nil {
		return err
	}
	if r.inProcessWakeUp {
		r.forwarderWaker(box.Name).forwarder.Store(fwd)
	}
	r.logger.InfoContext(ctx, "forwarder running", "outbox", box.Name, "shards", box.Shards)
	return r.components.track("forwarder of the "+box.Name+" outbox", func() error { return fwd.Run(ctx) })()
}
