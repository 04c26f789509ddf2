package admin

import (
	"context"
	"database/sql"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orders/adapters/outbox"
)

// backlogCollector reads each shard's backlog and the age of its oldest
// undelivered message at scrape time, so every instance reports the same
// figures.
type backlogCollector struct {
	dbOf          func(outbox.Config) *sql.DB
	outboxes      []outbox.Config
	consumerGroup string
	backlog       *prometheus.Desc
	oldest        *prometheus.Desc
}

// RegisterBacklog registers the backlog gauges of the outboxes with reg:
// one collector for all of them, since a registry takes each metric name
// once. dbOf returns the database each outbox is in.
func RegisterBacklog(reg prometheus.Registerer, dbOf func(outbox.Config) *sql.DB, consumerGroup string, outboxes ...outbox.Config) error {
	for i, cfg := range outboxes {
		var err error
		if outboxes[i], err = cfg.WithDefaults(); err != nil {
			return err
		}
	}
	return reg.Register(&backlogCollector{
		dbOf: dbOf, outboxes: outboxes, consumerGroup: consumerGroup,
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
	for _, cfg := range c.outboxes {
		for _, topic := range cfg.SQLTopics() {
			b, err := readBacklog(ctx, c.dbOf(cfg), topic, c.consumerGroup)
			if err != nil {
				ch <- prometheus.NewInvalidMetric(c.backlog, err)
				continue
			}
			ch <- prometheus.MustNewConstMetric(c.backlog, prometheus.GaugeValue, float64(b.count), cfg.Name, topic)
			ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, b.oldestAge.Seconds(), cfg.Name, topic)
		}
	}
}
