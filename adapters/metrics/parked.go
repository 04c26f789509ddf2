package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ParkedMessages is a Prometheus collector of the messages a consumer has
// parked now (orders_consumer_parked_messages): read from its parking
// lot at scrape time, it falls when an operator releases an order, which
// the parked counter cannot show.
type ParkedMessages struct {
	count   func(context.Context) (int64, error)
	desc    *prometheus.Desc
	logger  *slog.Logger
	timeout time.Duration
}

// NewParkedMessages returns the collector of consumer's parked messages,
// counted by count within 3 s of a scrape.
func NewParkedMessages(consumer string, count func(context.Context) (int64, error), logger *slog.Logger) *ParkedMessages {
	return &ParkedMessages{count: count, logger: logger, timeout: 3 * time.Second,
		desc: prometheus.NewDesc("orders_consumer_parked_messages",
			"Messages the consumer holds in its parking lot now, waiting for `orders parked release`.",
			nil, prometheus.Labels{"consumer": consumer})}
}

// Describe sends the descriptor.
func (p *ParkedMessages) Describe(ch chan<- *prometheus.Desc) { ch <- p.desc }

// Collect counts the parked messages; when the database does not answer
// in time, it sends nothing (a gap, not a false 0).
func (p *ParkedMessages) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	n, err := p.count(ctx)
	if err != nil {
		p.logger.Warn("counting the parked messages failed", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(p.desc, prometheus.GaugeValue, float64(n))
}
