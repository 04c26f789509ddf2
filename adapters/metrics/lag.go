package metrics

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orders/adapters/kafka"
)

// LagConfig names the consumer group whose lag ConsumerLag reports.
type LagConfig struct {
	Consumer string // the consumer label, e.g. "inventory"
	Group    string // its Kafka consumer group
	Topics   []string
	Brokers  []string
	// Timeout bounds one reading; a scrape that takes longer gets no lag.
	// Default 3s.
	Timeout time.Duration
	Logger  *slog.Logger
}

// ConsumerLag is a Prometheus collector of a consumer group's lag per
// partition: the partition's high-water mark minus the group's committed
// offset (or minus the oldest offset while the group has committed
// none: a new group starts there). It reads Kafka at scrape time, so the
// figure is as fresh as the scrape; the offsets a consumer marks are
// committed every second, so the lag of a busy partition is seldom 0.
type ConsumerLag struct {
	cfg  LagConfig
	desc *prometheus.Desc

	mu     sync.Mutex // one reading at a time; guards the clients
	client sarama.Client
	admin  sarama.ClusterAdmin
	closed bool
}

// NewConsumerLag returns the collector; it connects to Kafka at the first
// scrape.
func NewConsumerLag(cfg LagConfig) (*ConsumerLag, error) {
	if cfg.Consumer == "" || cfg.Group == "" || len(cfg.Topics) == 0 || len(cfg.Brokers) == 0 {
		return nil, errors.New("consumer lag needs a consumer name, a group, topics and brokers")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &ConsumerLag{cfg: cfg, desc: prometheus.NewDesc("orders_consumer_lag_messages",
		"Messages of the partition the consumer group has not committed yet: high-water mark minus committed offset.",
		[]string{"topic", "partition"}, prometheus.Labels{"consumer": cfg.Consumer, "group": cfg.Group})}, nil
}

// Describe sends the lag's descriptor.
func (l *ConsumerLag) Describe(ch chan<- *prometheus.Desc) { ch <- l.desc }

// Collect reads the lag of every partition; when Kafka does not answer
// within the timeout, or a reading is still running, it sends nothing.
func (l *ConsumerLag) Collect(ch chan<- prometheus.Metric) {
	if !l.mu.TryLock() {
		return // the previous scrape's reading still waits on Kafka
	}
	done := make(chan []prometheus.Metric, 1)
	go func() {
		defer l.mu.Unlock()
		lags, err := l.read()
		if err != nil {
			l.cfg.Logger.Warn("reading the consumer lag failed", "consumer", l.cfg.Consumer, "group", l.cfg.Group, "err", err)
		}
		done <- lags
	}()
	select {
	case lags := <-done:
		for _, m := range lags {
			ch <- m
		}
	case <-time.After(l.cfg.Timeout):
		l.cfg.Logger.Warn("reading the consumer lag timed out", "consumer", l.cfg.Consumer, "timeout", l.cfg.Timeout)
	}
}

// Close closes the Kafka clients; later scrapes report nothing.
func (l *ConsumerLag) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.admin == nil {
		return nil
	}
	err := l.admin.Close() // closes its client too
	l.admin, l.client = nil, nil
	return err
}

// read returns the lag of each partition of the topics; l.mu is held.
func (l *ConsumerLag) read() ([]prometheus.Metric, error) {
	if l.closed {
		return nil, nil
	}
	if err := l.connect(); err != nil {
		return nil, err
	}
	partitions := map[string][]int32{}
	for _, topic := range l.cfg.Topics {
		ps, err := l.client.Partitions(topic)
		if err != nil {
			return nil, fmt.Errorf("partitions of %s: %w", topic, err)
		}
		partitions[topic] = ps
	}
	committed, err := l.admin.ListConsumerGroupOffsets(l.cfg.Group, partitions)
	if err != nil {
		return nil, fmt.Errorf("committed offsets of group %s: %w", l.cfg.Group, err)
	}
	var out []prometheus.Metric
	for topic, ps := range partitions {
		for _, p := range ps {
			hwm, err := l.client.GetOffset(topic, p, sarama.OffsetNewest)
			if err != nil {
				return out, fmt.Errorf("high-water mark of %s/%d: %w", topic, p, err)
			}
			from := int64(-1)
			if b := committed.GetBlock(topic, p); b != nil && b.Err == sarama.ErrNoError {
				from = b.Offset
			}
			if from < 0 { // nothing committed: the group starts at the oldest
				if from, err = l.client.GetOffset(topic, p, sarama.OffsetOldest); err != nil {
					return out, fmt.Errorf("oldest offset of %s/%d: %w", topic, p, err)
				}
			}
			out = append(out, prometheus.MustNewConstMetric(l.desc, prometheus.GaugeValue,
				float64(max(hwm-from, 0)), topic, strconv.Itoa(int(p))))
		}
	}
	return out, nil
}

func (l *ConsumerLag) connect() error {
	if l.admin != nil {
		return nil
	}
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	cfg.ClientID = "orders-lag-" + l.cfg.Consumer
	cfg.Net.DialTimeout = l.cfg.Timeout
	cfg.Net.ReadTimeout = l.cfg.Timeout
	cfg.Net.WriteTimeout = l.cfg.Timeout
	cfg.Metadata.Retry.Max = 1
	client, err := sarama.NewClient(l.cfg.Brokers, cfg)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		_ = client.Close()
		return fmt.Errorf("kafka admin: %w", err)
	}
	l.client, l.admin = client, admin
	return nil
}
