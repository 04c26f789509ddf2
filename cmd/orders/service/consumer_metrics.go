package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	wmetrics "github.com/ThreeDotsLabs/watermill/components/metrics"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orders/adapters/metrics"
	"github.com/orderflow/orders/ports/messaging"
)

var _ messaging.Metrics = (*metrics.Consumer)(nil)

// lagCollector is a consumer's lag, and its parked messages when its
// parking lot can count them, registered for as long as it runs.
type lagCollector struct {
	reg    prometheus.Registerer
	lag    *metrics.ConsumerLag
	parked prometheus.Collector // nil when not registered
}

// close unregisters the collectors and closes the lag's Kafka clients;
// nil is a no-op.
func (l *lagCollector) close() error {
	if l == nil {
		return nil
	}
	if l.parked != nil {
		l.reg.Unregister(l.parked)
	}
	l.reg.Unregister(l.lag)
	return l.lag.Close()
}

// parkedCounter is a parking lot that counts what a consumer parked
// (adapters/postgres/messagestore's does).
type parkedCounter interface {
	CountParked(ctx context.Context, consumer string) (int64, error)
}

// newConsumerMetrics returns the consumer's message counters (shared by
// the process's consumers) and registers its lag over topics, and the
// count of its parked messages when lot can count them; without a
// Registerer, none of them.
func newConsumerMetrics(name string, cfg ConsumerConfig, logger *slog.Logger, lot messaging.ParkingLot, topics []string) (messaging.Metrics, *lagCollector, error) {
	if cfg.Registerer == nil {
		return nil, nil, nil
	}
	counters, err := metrics.NewConsumer(cfg.Registerer)
	if err != nil {
		return nil, nil, err
	}
	lag, err := metrics.NewConsumerLag(metrics.LagConfig{
		Consumer: name, Group: cfg.ConsumerGroup, Topics: topics, Brokers: cfg.Brokers, Logger: logger,
	})
	if err != nil {
		return nil, nil, err
	}
	if err := cfg.Registerer.Register(lag); err != nil {
		return nil, nil, fmt.Errorf("register the lag of consumer %s: %w", name, err)
	}
	collectors := &lagCollector{reg: cfg.Registerer, lag: lag}
	if counter, ok := lot.(parkedCounter); ok {
		parked := metrics.NewParkedMessages(name, func(ctx context.Context) (int64, error) { return counter.CountParked(ctx, name) }, logger)
		if err := cfg.Registerer.Register(parked); err != nil {
			return nil, nil, errors.Join(fmt.Errorf("register the parked messages of consumer %s: %w", name, err), collectors.close())
		}
		collectors.parked = parked
	}
	return counters, collectors, nil
}

// addRouterMetrics adds Watermill's own router metrics (handler execution
// time, messages received, publish time; names watermill_*) to router;
// without a Registerer, none. The routers of one process share them.
func addRouterMetrics(router *message.Router, reg prometheus.Registerer) {
	if reg != nil {
		wmetrics.NewPrometheusMetricsBuilder(reg, "watermill", "").AddPrometheusRouterMetrics(router)
	}
}
