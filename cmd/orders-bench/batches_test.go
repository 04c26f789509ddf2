package main

import (
	"strings"
	"testing"
)

// scrapeAt is a consumer process's metrics as Prometheus scrapes them: two
// event types handled by the inventory, a histogram of batch sizes per
// consumer, and a consumer that has run no batch yet.
func scrapeAt(inventoryPlaced, inventoryCancelled, batchSum, batchCount string) string {
	return `# HELP orders_consumer_messages_handled_total Messages handled.
# TYPE orders_consumer_messages_handled_total counter
orders_consumer_messages_handled_total{consumer="inventory",event_type="OrderPlaced"} ` + inventoryPlaced + `
orders_consumer_messages_handled_total{consumer="inventory",event_type="OrderCancelled"} ` + inventoryCancelled + `
orders_consumer_messages_handled_total{consumer="payment",event_type="OrderStockReserved"} 7
# HELP orders_consumer_batch_size_messages Messages in a batch.
# TYPE orders_consumer_batch_size_messages histogram
orders_consumer_batch_size_messages_bucket{consumer="inventory",le="2"} 1
orders_consumer_batch_size_messages_bucket{consumer="inventory",le="+Inf"} ` + batchCount + `
orders_consumer_batch_size_messages_sum{consumer="inventory"} ` + batchSum + `
orders_consumer_batch_size_messages_count{consumer="inventory"} ` + batchCount + `
# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{api="orders",route="POST /orders",code="201"} 90
`
}

func TestBatchWindowIsEachConsumersPartOfTheSpan(t *testing.T) {
	start, err := batchesFrom(strings.NewReader(scrapeAt("10", "2", "6", "2")))
	if err != nil {
		t.Fatal(err)
	}
	ended, err := batchesFrom(strings.NewReader(scrapeAt("110", "2", "86", "22")))
	if err != nil {
		t.Fatal(err)
	}
	w := &batchWindow{start: start, ended: ended}
	got, err := w.result()
	if err != nil {
		t.Fatal(err)
	}
	want := []consumerBatches{
		{Consumer: "inventory", Handled: 100, Batched: 80, Batches: 20},
		{Consumer: "payment", Handled: 0},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("consumer %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if s := batchList(got); s != "inventory 80% ×4.0 · payment 0% ×0.0" {
		t.Errorf("batchList: %q", s)
	}
}

func TestBatchWindowFailsLoudlyWithoutMetrics(t *testing.T) {
	w := startBatchWindow(t.Context(), "http://127.0.0.1:1")
	w.end(t.Context())
	if _, err := w.result(); err == nil {
		t.Fatal("a window whose scrape failed gave a result")
	}
}
