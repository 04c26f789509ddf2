package deploy

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/platform/contracts/orderevents"
)

// pendingMetrics are names the dashboard and the rules may use before a
// process serves them (none now). The test fails while a pending name is
// served, so that the list is emptied when the metric lands.
var pendingMetrics = map[string]bool{}

// prometheusOwn are series Prometheus makes itself, not a process.
var prometheusOwn = map[string]bool{"up": true}

// TestEveryMetricTheDashboardAndAlertsUseIsServed starts `orders all` as
// a process on the local services, places orders (one confirmed, one
// cancelled for lack of stock), delivers an order event twice and a
// message no consumer knows (parked and dead-lettered), so that the
// labelled series exist, and checks that every metric name of the
// dashboard and the alerting rules is in its /metrics.
func TestEveryMetricTheDashboardAndAlertsUseIsServed(t *testing.T) {
	t.Parallel()
	used := usedMetrics(t)
	if len(used) < 30 {
		t.Fatalf("the dashboard and the rules use %d metrics: %v", len(used), sortedKeys(used))
	}
	brokers := testenv.Kafka(t)
	_, dbURL := testenv.DBWithURL(t)
	ordersTopic := testenv.Topic(t, brokers, 2)
	suffix := strings.TrimPrefix(ordersTopic, "test.")
	api, inventory, metrics := testenv.FreeAddr(t), testenv.FreeAddr(t), testenv.FreeAddr(t)
	all := testenv.StartProcess(t, "orders all", testenv.BuildOrders(t), []string{"all"},
		"DATABASE_URL="+dbURL, "KAFKA_BROKERS="+strings.Join(brokers, ","), testenv.AuthEnv,
		"ORDERS_TOPIC="+ordersTopic, "INVENTORY_TOPIC="+testenv.Topic(t, brokers, 2), "PAYMENTS_TOPIC="+testenv.Topic(t, brokers, 2),
		"INVENTORY_DEAD_LETTER_TOPIC="+testenv.Topic(t, brokers, 1), "PAYMENT_DEAD_LETTER_TOPIC="+testenv.Topic(t, brokers, 1),
		"SAGA_DEAD_LETTER_TOPIC="+testenv.Topic(t, brokers, 1), "ORDERS_TOPIC_PARTITIONS=2", "DEAD_LETTER_TOPIC_PARTITIONS=1",
		"INVENTORY_CONSUMER_GROUP=inventory."+suffix, "PAYMENT_CONSUMER_GROUP=payment."+suffix, "SAGA_CONSUMER_GROUP=order-saga."+suffix,
		"HTTP_ADDR="+api, "INVENTORY_HTTP_ADDR="+inventory, "PAYMENT_HTTP_ADDR="+testenv.FreeAddr(t), "METRICS_ADDR="+metrics,
		"PAYMENT_DECLINE_ABOVE=100000", "CONSUMER_MAX_RETRIES=1", "FORWARDER_IDLE_POLL_INTERVAL=200ms", "LOG_LEVEL=warn")
	client := testenv.WithBearer(&http.Client{Timeout: 30 * time.Second}, testenv.OperatorToken(t))
	call := func(method, url, body string, want int) (string, bool) {
		req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err.Error(), false
		}
		defer func() { _ = resp.Body.Close() }()
		raw, _ := io.ReadAll(resp.Body)
		return string(raw), resp.StatusCode == want
	}
	testenv.WaitFor(t, 90*time.Second, "the inventory API", func() (bool, string) {
		if !all.Running() {
			t.Fatal("orders all ended")
		}
		out, ok := call(http.MethodPut, "http://"+inventory+"/inventory/stock/BOOK", `{"on_hand": 10}`, http.StatusOK)
		return ok, out
	})
	for _, sku := range []string{"BOOK", "PEN"} { // PEN has no stock: cancelled
		if out, ok := call(http.MethodPost, "http://"+api+"/orders",
			`{"customer_id":"c-1","currency":"EUR","items":[{"sku":"`+sku+`","quantity":1,"unit_price":1299}]}`, http.StatusCreated); !ok {
			t.Fatalf("POST /orders: %s", out)
		}
	}
	event := testenv.OrderEvent(t, uuid.NewString(), 1, orderevents.OrderPlaced{
		CustomerID: "c-2", Currency: "EUR", Total: 1299, Items: []orderevents.Item{{SKU: "BOOK", Quantity: 1, UnitPrice: 1299, Subtotal: 1299}},
	})
	poisonID := uuid.NewString()
	poison := message.NewMessage(poisonID, fmt.Appendf(nil,
		`{"event_id":%q,"event_type":"OrderTeleported","schema_version":1,"order_id":%q,"occurred_at":"2026-01-01T00:00:00Z","data":{}}`,
		poisonID, poisonID))
	poison.Metadata.Set("name", "OrderTeleported")
	poison.Metadata.Set("partition_key", poisonID)
	testenv.PublishToKafka(t, brokers, ordersTopic, event, event, poison)

	var missing []string
	testenv.WaitFor(t, 120*time.Second, "every metric of the dashboard and the alerts on /metrics", func() (bool, string) {
		served := scrapeNames(t, "http://"+metrics+"/metrics")
		missing = missing[:0]
		for _, name := range sortedKeys(used) {
			if pendingMetrics[name] && served[name] {
				t.Fatalf("%s is served now: remove it from pendingMetrics", name)
			}
			if !served[name] && !pendingMetrics[name] && !prometheusOwn[name] {
				missing = append(missing, name+" (used by "+strings.Join(used[name], "; ")+")")
			}
		}
		return len(missing) == 0, strings.Join(missing, "\n")
	})
}

// scrapeNames reads url as Prometheus does and returns the names of its
// series: a histogram's _bucket, _sum and _count, a summary's _sum and
// _count.
func scrapeNames(t *testing.T, url string) map[string]bool {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil // not up yet
	}
	defer func() { _ = resp.Body.Close() }()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	names := map[string]bool{}
	for name, f := range families {
		if len(f.GetMetric()) == 0 {
			continue
		}
		names[name] = true
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			names[name+"_sum"], names[name+"_count"] = true, true
		}
	}
	return names
}
