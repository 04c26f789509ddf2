package metrics

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Consumer counts what the Kafka consumers do with their messages, by
// consumer and event type (ports/messaging's Metrics).
type Consumer struct {
	handled, duplicate, failed, parked, deadLettered *prometheus.CounterVec
	duration                                         *prometheus.HistogramVec
	batches                                          *prometheus.CounterVec   // by consumer and outcome
	batchSize                                        *prometheus.HistogramVec // by consumer
}

// NewConsumer registers the consumers' counters and handler histogram with
// reg; consumers of one process share them (the consumer label tells them
// apart).
func NewConsumer(reg prometheus.Registerer) (*Consumer, error) {
	if reg == nil {
		return nil, errors.New("nil Prometheus registerer")
	}
	labels := []string{"consumer", "event_type"}
	var c Consumer
	counters := []struct {
		vec        **prometheus.CounterVec
		name, help string
	}{
		{&c.handled, "orders_consumer_messages_handled_total",
			"Messages the handlers are done with and that are acknowledged (duplicates and expected no-ops included)."},
		{&c.duplicate, "orders_consumer_messages_duplicate_total",
			"Messages the consumer's inbox already held: acknowledged without a second effect."},
		{&c.failed, "orders_consumer_handler_failures_total",
			"Failed runs of the handlers on a message; retried unless the error is permanent."},
		{&c.parked, "orders_consumer_messages_parked_total",
			"Messages stored in the parking lot: failed for good, or behind an earlier failure of their order."},
		{&c.deadLettered, "orders_consumer_messages_dead_lettered_total",
			"Messages sent to the consumer's dead-letter topic."},
	}
	var err error
	for _, spec := range counters {
		vec, e := registerOrShare(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: spec.name, Help: spec.help}, labels))
		*spec.vec, err = vec, errors.Join(err, e)
	}
	duration, e := registerOrShare(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "orders_consumer_handler_duration_seconds",
		Help:    "Time of one run of the handlers on a message, failed runs included.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, labels))
	c.duration = duration
	err = errors.Join(err, e)
	c.batches, e = registerOrShare(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "orders_consumer_batches_total",
		Help: "Batches of waiting messages handled in one transaction, by outcome: committed, or rolled_back (their messages then ran alone).",
	}, []string{"consumer", "outcome"}))
	err = errors.Join(err, e)
	c.batchSize, e = registerOrShare(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "orders_consumer_batch_size_messages",
		Help:    "Messages in a batch (two or more; a message alone is no batch).",
		Buckets: prometheus.ExponentialBuckets(2, 2, 6),
	}, []string{"consumer"}))
	if err = errors.Join(err, e); err != nil {
		return nil, err
	}
	return &c, nil
}

// MessageHandled counts an acknowledged message.
func (c *Consumer) MessageHandled(consumer, eventType string) {
	c.handled.WithLabelValues(consumer, eventType).Inc()
}

// MessageDuplicate counts a message the inbox already held.
func (c *Consumer) MessageDuplicate(consumer, eventType string) {
	c.duplicate.WithLabelValues(consumer, eventType).Inc()
}

// HandlerRan records one run of the handlers.
func (c *Consumer) HandlerRan(consumer, eventType string, took time.Duration, failed bool) {
	c.duration.WithLabelValues(consumer, eventType).Observe(took.Seconds())
	if failed {
		c.failed.WithLabelValues(consumer, eventType).Inc()
	}
}

// MessageParked counts a parked message.
func (c *Consumer) MessageParked(consumer, eventType string) {
	c.parked.WithLabelValues(consumer, eventType).Inc()
}

// MessageDeadLettered counts a dead-lettered message.
func (c *Consumer) MessageDeadLettered(consumer, eventType string) {
	c.deadLettered.WithLabelValues(consumer, eventType).Inc()
}

// BatchEnded counts a batch by its outcome and records its size.
func (c *Consumer) BatchEnded(consumer string, size int, committed bool) {
	outcome := "rolled_back"
	if committed {
		outcome = "committed"
	}
	c.batches.WithLabelValues(consumer, outcome).Inc()
	c.batchSize.WithLabelValues(consumer).Observe(float64(size))
}
