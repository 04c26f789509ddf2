// Package metrics implements the metrics the application and the ports
// declare, with Prometheus: the application's decorator.MetricsClient
// (NoOp records nothing, Prometheus a histogram per handler), and the
// consumers' message counters and lag (Consumer, ConsumerLag).
package metrics

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orders/app/decorator"
)

// NoOp records nothing: for tests and tools that serve no metrics.
type NoOp struct{}

var _ decorator.MetricsClient = NoOp{}

// Observe does nothing.
func (NoOp) Observe(string, string, time.Duration, bool) {}

// Prometheus records how long each command and query took, by kind,
// action and whether it failed; the histogram's count is the call count.
type Prometheus struct {
	handled *prometheus.HistogramVec
}

var _ decorator.MetricsClient = (*Prometheus)(nil)

// NewPrometheus registers the histogram with reg. When reg already holds
// it (two applications in one process), the registered one is shared.
func NewPrometheus(reg prometheus.Registerer) (*Prometheus, error) {
	if reg == nil {
		return nil, errors.New("nil Prometheus registerer")
	}
	handled := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "orders_app_handler_duration_seconds",
		Help:    "Time to handle an application command or query.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"kind", "action", "failed"})
	handled, err := registerOrShare(reg, handled)
	if err != nil {
		return nil, err
	}
	return &Prometheus{handled: handled}, nil
}

// registerOrShare registers c with reg, or, when reg holds an equal
// collector already (two consumers or applications in one process),
// returns that one.
func registerOrShare[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var already prometheus.AlreadyRegisteredError
	if !errors.As(err, &already) {
		return c, err
	}
	shared, ok := already.ExistingCollector.(C)
	if !ok {
		return c, err
	}
	return shared, nil
}

// Observe records one run.
func (p *Prometheus) Observe(kind, action string, took time.Duration, failed bool) {
	p.handled.WithLabelValues(kind, action, strconv.FormatBool(failed)).Observe(took.Seconds())
}
