package service

import (
	"fmt"
	"log/slog"

	wmetrics "github.com/ThreeDotsLabs/watermill/components/metrics"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orders/adapters/metrics"
	"github.com/orderflow/orders/ports/messaging"
)

var _ messaging.Metrics = (*metrics.Consumer)(nil)

// lagCollector is a consumer's lag, registered for as long as it runs.
type lagCollector struct {
	reg prometheus.Registerer
	lag *metrics.ConsumerLag
}

// close unregisters the lag and closes its Kafka clients; nil is a no-op.
func (l *lagCollector) close() error {
	if l == nil {
		return nil
	}
	l.reg.Unregister(l.lag)
	return l.lag.Close()
}

// newConsumerMetrics returns the consumer's message counters (shared by
// the process's consumers) and registers its lag over topics; without a
// Registerer, neither.
func newConsumerMetrics(name string, cfg ConsumerConfig, logger *slog.Logger, topics []string) (messaging.Metrics, *lagCollector, error) {
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
	return counters, &lagCollector{reg: cfg.Registerer, lag: lag}, nil
}

// addRouterMetrics adds Watermill's own router metrics (handler execution
// time, messages received, publish time; names watermill_*) to router;
// without a Registerer, none. The routers of one process share them.
func addRouterMetrics(router *message.Router, reg prometheus.Registerer) {
	if reg != nil {
		wmetrics.NewPrometheusMetricsBuilder(reg, "watermill", "").AddPrometheusRouterMetrics(router)
	}
}
