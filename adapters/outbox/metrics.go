package outbox

import (
	"context"
	"database/sql"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the forwarder's Prometheus metrics. Counters and histograms
// count this process's work; the backlog gauges are read from the database
// at each scrape, so every instance reports the same figures.
type Metrics struct {
	forwarded    *prometheus.CounterVec
	retried      *prometheus.CounterVec
	deadLettered *prometheus.CounterVec
	publish      *prometheus.HistogramVec
	delay        *prometheus.HistogramVec
	stalled      *prometheus.GaugeVec
}

// NewMetrics registers the forwarder's metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		forwarded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outbox_forwarded_total",
			Help: "Messages published to Kafka and acknowledged by the broker.",
		}, []string{"outbox", "sql_topic"}),
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outbox_publish_retries_total",
			Help: "Failed publishing attempts that were retried.",
		}, []string{"outbox", "sql_topic"}),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outbox_dead_lettered_total",
			Help: "Messages moved to outbox_dead_letters.",
		}, []string{"outbox", "sql_topic"}),
		publish: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "outbox_publish_duration_seconds",
			Help:    "Time to publish one message to Kafka, until the broker acknowledged it.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}, []string{"outbox"}),
		delay: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "outbox_delivery_delay_seconds",
			Help:    "Time from the start of the transaction that wrote a message to the broker's acknowledgement.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 18),
		}, []string{"outbox"}),
		stalled: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outbox_shard_stalled",
			Help: "1 when the shard's position is missing or impossible (see `orders outbox status`).",
		}, []string{"outbox", "sql_topic"}),
	}
	for _, c := range []prometheus.Collector{m.forwarded, m.retried, m.deadLettered, m.publish, m.delay, m.stalled} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// backlogCollector reads each shard's backlog and the age of its oldest
// undelivered message at scrape time.
type backlogCollector struct {
	db            *sql.DB
	cfg           Config
	consumerGroup string
	backlog       *prometheus.Desc
	oldest        *prometheus.Desc
}

// RegisterBacklog registers the backlog gauges of an outbox with reg.
func RegisterBacklog(reg prometheus.Registerer, db *sql.DB, cfg Config, consumerGroup string) error {
	return reg.Register(&backlogCollector{
		db: db, cfg: cfg, consumerGroup: consumerGroup,
		backlog: prometheus.NewDesc("outbox_backlog_messages",
			"Messages in the SQL topic not yet forwarded by the consumer group.", []string{"outbox", "sql_topic"}, nil),
		oldest: prometheus.NewDesc("outbox_oldest_undelivered_age_seconds",
			"Age of the oldest message not yet forwarded (0 when none).", []string{"outbox", "sql_topic"}, nil),
	})
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.backlog
	ch <- c.oldest
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, topic := range c.cfg.SQLTopics() {
		b, err := readBacklog(ctx, c.db, topic, c.consumerGroup)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(c.backlog, err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.backlog, prometheus.GaugeValue, float64(b.count), c.cfg.Name, topic)
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, b.oldestAge.Seconds(), c.cfg.Name, topic)
	}
}
