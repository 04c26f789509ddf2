package service_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/orderflow/orders/adapters/outbox"
	inventorycommand "github.com/orderflow/orders/app/inventory/command"
	"github.com/orderflow/orders/cmd/orders/service"
	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/platform/contracts/orderevents"
	"github.com/orderflow/orders/ports/messaging"
)

// TestConsumerMetricsCountRealMessages runs the inventory's consumer on
// real PostgreSQL and Kafka with a registry of its own and scrapes it over
// HTTP after three orders were placed, one of their messages delivered
// twice, and a message of an unknown event type arrived: each counter
// moved by what happened, and the lag is reported for every partition of
// the topic and goes back to 0.
func TestConsumerMetricsCountRealMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.DB(t)
	brokers := testenv.Kafka(t)
	ordersTopic := testenv.Topic(t, brokers, 3)
	dlq := testenv.Topic(t, brokers, 1)
	application, err := service.NewInventoryApplication(db, testenv.OutboxPublisher(t, outbox.Inventory), "inventory.events", service.Telemetry{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := application.Commands.SetStock.Handle(ctx, inventorycommand.SetStock{SKU: "BOOK", OnHand: 100}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	consumer, err := service.NewInventoryConsumer(db, application, ordersTopic, service.ConsumerConfig{
		Brokers: brokers, ConsumerGroup: "inventory." + strings.TrimPrefix(ordersTopic, "test."), DeadLetterTopic: dlq,
		Retry:  messaging.RetryConfig{MaxRetries: 1, InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond},
		Logger: slog.New(slog.DiscardHandler), Registerer: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	testenv.RunConsumer(t, consumer)
	scrape := scraper(t, reg)

	var msgs []*message.Message
	for range 3 {
		msgs = append(msgs, testenv.OrderEvent(t, uuid.NewString(), 1, orderevents.OrderPlaced{
			CustomerID: "c", Currency: "EUR", Total: 1299, Items: []orderevents.Item{{SKU: "BOOK", Quantity: 1, UnitPrice: 1299, Subtotal: 1299}},
		}))
	}
	poisonID, poisonOrder := uuid.NewString(), uuid.NewString()
	poison := message.NewMessage(poisonID, fmt.Appendf(nil,
		`{"event_id":%q,"event_type":"OrderTeleported","schema_version":1,"order_id":%q,"occurred_at":"2026-01-01T00:00:00Z","data":{}}`, poisonID, poisonOrder))
	poison.Metadata.Set("name", "OrderTeleported")
	poison.Metadata.Set("partition_key", poisonOrder)
	testenv.PublishToKafka(t, brokers, ordersTopic, append(msgs, msgs[0], poison)...)

	want := map[string]float64{
		`orders_consumer_messages_handled_total{consumer="inventory",event_type="OrderPlaced"}`:         4,
		`orders_consumer_messages_duplicate_total{consumer="inventory",event_type="OrderPlaced"}`:       1,
		`orders_consumer_messages_parked_total{consumer="inventory",event_type="unknown"}`:              1,
		`orders_consumer_messages_dead_lettered_total{consumer="inventory",event_type="unknown"}`:       1,
		`orders_consumer_handler_failures_total{consumer="inventory",event_type="unknown"}`:             1,
		`orders_consumer_parked_messages{consumer="inventory"}`:                                         1,
		`orders_consumer_handler_duration_seconds_count{consumer="inventory",event_type="OrderPlaced"}`: 4,
	}
	testenv.WaitFor(t, 60*time.Second, "the counters", func() (bool, string) {
		got := scrape()
		for series, n := range want {
			if got[series] != n {
				return false, fmt.Sprintf("%s = %v, want %v", series, got[series], n)
			}
		}
		return true, ""
	})
	// Offsets are committed every second: the lag of each partition goes
	// back to 0.
	testenv.WaitFor(t, 60*time.Second, "the lag per partition back to 0", func() (bool, string) {
		got := scrape()
		for p := range 3 {
			series := fmt.Sprintf(`orders_consumer_lag_messages{consumer="inventory",group="inventory.%s",partition="%d",topic="%s"}`,
				strings.TrimPrefix(ordersTopic, "test."), p, ordersTopic)
			if v, ok := got[series]; !ok || v != 0 {
				return false, fmt.Sprintf("%s = %v (reported: %v)", series, v, ok)
			}
		}
		return true, ""
	})
}

// scraper returns a function that scrapes reg over HTTP and parses the
// text exposition: series (name and sorted labels) → value; a histogram
// gives its _count.
func scraper(t *testing.T, reg *prometheus.Registry) func() map[string]float64 {
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	return func() map[string]float64 {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "text/plain")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(resp.Body)
		if err != nil {
			t.Fatalf("parse the scrape: %v", err)
		}
		out := map[string]float64{}
		for name, f := range families {
			for _, m := range f.GetMetric() {
				switch f.GetType() {
				case dto.MetricType_COUNTER:
					out[series(name, m)] = m.GetCounter().GetValue()
				case dto.MetricType_GAUGE:
					out[series(name, m)] = m.GetGauge().GetValue()
				case dto.MetricType_HISTOGRAM:
					out[series(name+"_count", m)] = float64(m.GetHistogram().GetSampleCount())
				}
			}
		}
		return out
	}
}

// series names a metric as its exposition does: labels sorted by name.
func series(name string, m *dto.Metric) string {
	labels := make([]string, 0, len(m.GetLabel()))
	for _, l := range m.GetLabel() { // the parser sorts them
		labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	return name + "{" + strings.Join(labels, ",") + "}"
}
