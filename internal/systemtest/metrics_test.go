package systemtest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The families each kind of process must expose once an order went
// through, besides Go's and the process's own.
var (
	httpFamilies      = []string{"http_requests_total", "http_request_duration_seconds", "http_requests_in_flight"}
	storeFamilies     = []string{"orders_event_store_version_conflicts_total", "orders_idempotent_replays_total"}
	forwarderFamilies = []string{"outbox_forwarded_total", "outbox_publish_duration_seconds", "outbox_backlog_messages", "outbox_oldest_undelivered_age_seconds", "outbox_shard_stalled"}
	consumerFamilies  = []string{
		"orders_consumer_messages_handled_total", "orders_consumer_handler_duration_seconds", "orders_consumer_lag_messages",
		"watermill_handler_execution_time_seconds", "watermill_subscriber_messages_received_total",
	}
	commonFamilies = []string{"go_goroutines", "process_cpu_seconds_total", "go_sql_open_connections"}
)

func expectedFamilies(kind string) []string {
	var want []string
	switch kind {
	case "api":
		want = concat(httpFamilies, storeFamilies, []string{"orders_app_handler_duration_seconds"})
	case "forwarder":
		want = forwarderFamilies
	case "inventory", "payment":
		want = concat(httpFamilies, forwarderFamilies, consumerFamilies, []string{"orders_app_handler_duration_seconds"})
	case "saga":
		want = concat(storeFamilies, consumerFamilies, []string{"orders_app_handler_duration_seconds"})
	case "all":
		want = concat(httpFamilies, storeFamilies, forwarderFamilies, consumerFamilies, []string{"orders_app_handler_duration_seconds"})
	}
	return concat(commonFamilies, want)
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// TestEveryProcessServesMetrics runs each service command as its own
// process on one database, sends an order through them, and checks every
// process's /metrics.
func TestEveryProcessServesMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{partitions: 2, env: []string{"LOG_LEVEL=warn"}})
	var procs []*ordersProcess
	for _, kind := range []string{"api", "forwarder", "inventory", "payment", "saga"} {
		procs = append(procs, h.startService(kind, kind))
	}
	api, inventory, payment := procs[0], procs[2], procs[3]
	h.placeAndWait(api.api, inventory.api)
	if code, body := h.do(http.MethodGet, "http://"+payment.api+"/payments?order_id=00000000-0000-0000-0000-000000000000", nil); code != http.StatusOK {
		t.Fatalf("GET /payments: %d %s", code, body)
	}
	for _, p := range procs {
		t.Run(p.kind, func(t *testing.T) { checkScrape(t, p) })
	}
}

// TestAllServesMetrics is TestEveryProcessServesMetrics for `orders all`.
func TestAllServesMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{partitions: 2, env: []string{"LOG_LEVEL=warn"}})
	all := h.startService("all", "all", "DATABASE_MAX_CONNS=24")
	h.placeAndWait(all.api, all.inventory)
	checkScrape(t, all)
}

// promlintAllowed are the problems promlint finds in collectors that are
// not ours; none today. Keyed by metric and problem text.
var promlintAllowed = map[string]string{}

// namingAllowed are Go's own metrics that the naming check below reads
// wrong: a count of connections closed for their idle time is no time.
var namingAllowed = map[string]bool{"go_sql_max_idle_time_closed_total": true}

// checkScrape scrapes p's /metrics once every family expected of it is
// in (the forwarders' and lag collectors' first samples come a moment after
// the start) and checks it.
func checkScrape(t *testing.T, p *ordersProcess) {
	var body []byte
	var families map[string]*dto.MetricFamily
	var missing []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		body = scrape(t, p.ops)
		parser := expfmt.NewTextParser(model.UTF8Validation)
		var err error
		if families, err = parser.TextToMetricFamilies(bytes.NewReader(body)); err != nil {
			t.Fatalf("%s: /metrics does not parse: %v", p.kind, err)
		}
		missing = missing[:0]
		for _, name := range expectedFamilies(p.kind) {
			if f := families[name]; f == nil || len(f.GetMetric()) == 0 {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, name := range missing {
		t.Errorf("%s: no %s", p.kind, name)
	}
	for name, f := range families {
		if namingAllowed[name] {
			continue
		}
		for _, problem := range namingProblems(name, f) {
			t.Errorf("%s: %s: %s", p.kind, name, problem)
		}
	}
	helps := map[string]int{}
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, "# HELP "); ok {
			helps[strings.Fields(rest)[0]]++
		}
	}
	for name, n := range helps {
		if n > 1 {
			t.Errorf("%s: %d HELP lines for %s", p.kind, n, name)
		}
	}
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatalf("%s: promlint: %v", p.kind, err)
	}
	for _, problem := range problems {
		if promlintAllowed[problem.Metric] != problem.Text {
			t.Errorf("%s: promlint: %s: %s", p.kind, problem.Metric, problem.Text)
		}
	}
	if routes := families["http_requests_total"]; routes != nil {
		checkRouteLabels(t, p.kind, routes)
	}
}

var (
	timeWords  = regexp.MustCompile(`(^|_)(duration|time|age|delay|latency|seconds)(_|$)`)
	countWords = regexp.MustCompile(`(^|_)(backlog|lag)(_|$)`)
)

// namingProblems checks Prometheus's naming conventions: counters end in
// _total and nothing else does; a time is in _seconds; a backlog or a lag
// counts _messages.
func namingProblems(name string, f *dto.MetricFamily) []string {
	var problems []string
	base := strings.TrimSuffix(name, "_total")
	isCounter := f.GetType() == dto.MetricType_COUNTER
	if isCounter != strings.HasSuffix(name, "_total") {
		problems = append(problems, "a counter's name and only a counter's ends in _total ("+f.GetType().String()+")")
	}
	if timeWords.MatchString(base) && !strings.HasSuffix(base, "_seconds") && !strings.HasSuffix(base, "_timestamp_seconds") {
		problems = append(problems, "a time without _seconds")
	}
	if countWords.MatchString(base) && !strings.HasSuffix(base, "_messages") {
		problems = append(problems, "a backlog or lag without _messages")
	}
	return problems
}

// checkRouteLabels: routes are patterns, never raw paths (no IDs).
func checkRouteLabels(t *testing.T, kind string, f *dto.MetricFamily) {
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" && l.GetValue() != "unmatched" && !strings.Contains(l.GetValue(), " /") {
				t.Errorf("%s: route %q is not a ServeMux pattern", kind, l.GetValue())
			}
			if l.GetName() == "route" && regexp.MustCompile(`[0-9a-f]{8}-`).MatchString(l.GetValue()) {
				t.Errorf("%s: route %q holds an ID", kind, l.GetValue())
			}
		}
	}
}

func scrape(t *testing.T, addr string) []byte {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics") //nolint:noctx // a test's one request
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %v %s", err, resp.Status)
	}
	return body
}

// placeAndWait stocks a SKU through inventoryAddr, places an order of it
// through apiAddr and waits until the order is confirmed: every process
// has then done each kind of its work once.
func (h *harness) placeAndWait(apiAddr, inventoryAddr string) {
	h.t.Helper()
	h.setStock(inventoryAddr, "BOOK", 10)
	id, err := h.placeOrder(context.Background(), apiAddr, []item{{SKU: "BOOK", Quantity: 1, UnitPrice: 1299}})
	if err != nil {
		h.t.Fatal(err)
	}
	waitForStatus(h.t, h.db, id, "confirmed", 90*time.Second)
}
