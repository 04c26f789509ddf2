package forwarder

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the forwarder's Prometheus metrics, labelled by outbox: one
// Metrics serves the forwarders of every outbox of a process. They count this
// process's work; admin.RegisterBacklog adds the backlog read from the
// database.
type Metrics struct {
	forwarded    *prometheus.CounterVec
	retried      *prometheus.CounterVec
	deadLettered *prometheus.CounterVec
	held         *prometheus.CounterVec
	publish      *prometheus.HistogramVec
	delay        *prometheus.HistogramVec
	stalled      *prometheus.GaugeVec
	blockerAge   *prometheus.GaugeVec
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
		held: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outbox_held_total",
			Help: "Messages held in outbox_dead_letters behind an earlier dead letter of their order (not sent until an operator replays or skips the order).",
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
			Help: "1 when the shard is stalled for the reason: position_missing, ahead_of_xids (a restore; see `orders outbox status`), no_progress (a backlog and no move for FORWARDER_STALL_AFTER).",
		}, []string{"outbox", "sql_topic", "reason"}),
		// The blocker's PID and query are in the WARN and `orders outbox
		// status`: as labels they would make a series per session.
		blockerAge: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outbox_shard_blocker_age_seconds",
			Help: "While the shard is stalled (no_progress): the age of the transaction that holds it back, the session its oldest open writer waits for (or that writer); 0 otherwise.",
		}, []string{"outbox", "sql_topic"}),
	}
	for _, c := range []prometheus.Collector{m.forwarded, m.retried, m.deadLettered, m.held, m.publish, m.delay, m.stalled, m.blockerAge} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
