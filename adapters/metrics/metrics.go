// Package metrics implements the application's decorator.MetricsClient:
// NoOp records nothing, Prometheus records a histogram per handler.
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
	if err := reg.Register(handled); err != nil {
		var already prometheus.AlreadyRegisteredError
		if !errors.As(err, &already) {
			return nil, err
		}
		shared, ok := already.ExistingCollector.(*prometheus.HistogramVec)
		if !ok {
			return nil, err
		}
		handled = shared
	}
	return &Prometheus{handled: handled}, nil
}

// Observe records one run.
func (p *Prometheus) Observe(kind, action string, took time.Duration, failed bool) {
	p.handled.WithLabelValues(kind, action, strconv.FormatBool(failed)).Observe(took.Seconds())
}
