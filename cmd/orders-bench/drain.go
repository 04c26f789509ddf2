package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/IBM/sarama"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/postgres"
)

// drainPoint is the number of records on the topic at a time since the
// forwarder process started.
type drainPoint struct {
	At      time.Duration
	Records int64
}

// drainResult is the orders forwarder process draining the outbox the
// write path left behind: real order events, written through the API.
type drainResult struct {
	Backlog      int64
	Elapsed      time.Duration // from the process's start to the last record on Kafka
	Rate         float64
	Series       []drainPoint
	ForwarderCPU float64 // CPU seconds per 1,000 events
	PostgresCPU  float64
	PeakRSS      int64
}

func measureDrain(ctx context.Context, e *environment, w *writePathResult, log io.Writer) (*drainResult, error) {
	db, err := postgres.Open(ctx, w.Backlog.url)
	if err != nil {
		return nil, err
	}
	defer func() { _ = db.Close() }()
	var backlog int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM watermill_orders_outbox`).Scan(&backlog); err != nil {
		return nil, fmt.Errorf("count the outbox: %w", err)
	}
	if err := vacuumOwnTables(ctx, db); err != nil {
		return nil, err
	}
	client, err := newKafkaClient(e.brokers)
	if err != nil {
		return nil, err
	}
	defer func() { _ = client.Close() }()
	fmt.Fprintf(log, "drain: orders forwarder, backlog of %d order events\n", backlog)

	pg0 := postgresServer{}.CPU()
	start := time.Now()
	fwd, err := startOrders(e.ordersBin, "forwarder", e.dir, e.serviceEnv(w.Backlog, map[string]string{"ORDERS_TOPIC": w.Topic}))
	if err != nil {
		return nil, err
	}
	defer func() { _ = fwd.stop() }()
	res := &drainResult{Backlog: backlog}
	timeout := time.Duration(backlog/200)*time.Second + time.Minute // far slower than any forwarder
	for {
		n := kafkaRecords(client, w.Topic)
		res.Series = append(res.Series, drainPoint{At: time.Since(start), Records: n})
		if n >= backlog {
			break
		}
		if fwd.exited() || time.Since(start) > timeout || ctx.Err() != nil {
			return nil, fmt.Errorf("drain: %d of %d events on Kafka after %s; log: %s", n, backlog, time.Since(start).Round(time.Second), fwd.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	res.Elapsed = res.Series[len(res.Series)-1].At
	res.Rate = float64(backlog) / res.Elapsed.Seconds()
	res.ForwarderCPU = per1000(fwd.process().CPU(), float64(backlog))
	res.PostgresCPU = per1000(postgresServer{}.CPU()-pg0, float64(backlog))
	res.PeakRSS = fwd.process().peak()
	return res, fwd.stop()
}

func newKafkaClient(brokers []string) (sarama.Client, error) {
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		return nil, fmt.Errorf("no Kafka at %v: %w", brokers, err)
	}
	return client, nil
}

// kafkaRecords is the number of records on topic: the sum of its
// partitions' high-water marks (0 while the topic does not exist).
func kafkaRecords(client sarama.Client, topic string) int64 {
	if err := client.RefreshMetadata(topic); err != nil {
		return 0
	}
	parts, err := client.Partitions(topic)
	if err != nil {
		return 0
	}
	var total int64
	for _, p := range parts {
		if off, err := client.GetOffset(topic, p, sarama.OffsetNewest); err == nil {
			total += off
		}
	}
	return total
}
