package systemtest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/internal/testenv"
)

// harness is one scenario's system: topics and consumer groups of its
// own, a database of its own (unless the scenario makes its own), and
// what the scenario starts on them: the whole saga in this process
// (startInProcess, inprocess_test.go), or the orders binary's commands as
// OS processes, each connected directly or, in the chaos scenarios'
// topology, behind the fault proxies (topology_test.go). Every scenario
// ends with invariants_test.go's checks.
type harness struct {
	t       *testing.T
	db      *sql.DB // nil with setup.noDatabase
	dbURL   string
	brokers []string
	env     []string     // the same for every process: topics, groups, brokers, database
	client  *http.Client // with an operator's token
}

// setup is what a scenario asks of newHarness.
type setup struct {
	partitions int32    // of the event topics; 6 when 0
	brokers    []string // testenv.Kafka's when nil
	noDatabase bool     // the scenario makes its databases itself
	env        []string // more for every process
}

func newHarness(t *testing.T, s setup) *harness {
	t.Helper()
	if s.partitions == 0 {
		s.partitions = 6
	}
	if s.brokers == nil {
		s.brokers = testenv.Kafka(t)
	}
	h := &harness{t: t, brokers: s.brokers,
		client: testenv.WithBearer(&http.Client{Timeout: 30 * time.Second}, testenv.OperatorToken(t))}
	h.env = testenv.SystemEnv(t, s.brokers, s.partitions)
	if !s.noDatabase {
		h.db, h.dbURL = testenv.DBWithURL(t)
		h.env = append(h.env, "DATABASE_URL="+h.dbURL)
	}
	h.env = append(h.env, s.env...)
	return h
}

// value returns the value of a variable of h.env.
func (h *harness) value(variable string) string {
	for i := len(h.env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(h.env[i], variable+"="); ok {
			return v
		}
	}
	h.t.Fatalf("%s is not set", variable)
	return ""
}

// topics are the event topics of the harness's processes.
func (h *harness) topics() eventTopics {
	return eventTopics{orders: h.value("ORDERS_TOPIC"), inventory: h.value("INVENTORY_TOPIC"), payments: h.value("PAYMENTS_TOPIC")}
}

// start runs `orders args…` with h.env and env added (later entries win).
func (h *harness) start(name string, args []string, env ...string) *testenv.Process {
	return testenv.StartProcess(h.t, name, ordersBinary(h.t), args, append(append([]string{}, h.env...), env...)...)
}

// run runs `orders args…` to its end and returns its output.
func (h *harness) run(env []string, args ...string) (string, error) {
	p := h.start("orders "+strings.Join(args, " "), args, env...)
	select {
	case <-p.Exited:
	case <-time.After(2 * time.Minute):
		h.t.Fatalf("orders %s did not end within 2 minutes", strings.Join(args, " "))
	}
	if code := p.Cmd.ProcessState.ExitCode(); code != 0 {
		return p.Log.String(), fmt.Errorf("orders %s: exit status %d", strings.Join(args, " "), code)
	}
	return p.Log.String(), nil
}

// ordersProcess is a long-running `orders <kind>` at addresses of its own,
// which restart keeps.
type ordersProcess struct {
	*testenv.Process
	name, kind string
	ops        string // METRICS_ADDR
	api        string // its own API's address: HTTP_ADDR, or the inventory's or payment's
	inventory  string // INVENTORY_HTTP_ADDR
	payment    string // PAYMENT_HTTP_ADDR
	env        []string
}

// startService runs `orders kind` at free addresses with env added and
// waits until it is ready and its APIs answer.
func (h *harness) startService(name, kind string, env ...string) *ordersProcess {
	h.t.Helper()
	s := &ordersProcess{name: name, kind: kind, ops: testenv.FreeAddr(h.t), api: testenv.FreeAddr(h.t),
		inventory: testenv.FreeAddr(h.t), payment: testenv.FreeAddr(h.t), env: env}
	switch kind {
	case "inventory":
		s.inventory = s.api
	case "payment":
		s.payment = s.api
	}
	h.restart(s)
	return s
}

// restart starts s (again) at its addresses and waits until its ops
// listener says it is ready and its APIs answer.
func (h *harness) restart(s *ordersProcess) {
	h.t.Helper()
	s.Process = h.start(s.name, []string{s.kind}, append([]string{"METRICS_ADDR=" + s.ops, "HTTP_ADDR=" + s.api,
		"INVENTORY_HTTP_ADDR=" + s.inventory, "PAYMENT_HTTP_ADDR=" + s.payment}, s.env...)...)
	testenv.WaitHTTP(h.t, s.Process, s.ops, "/healthz", http.StatusNoContent)
	testenv.WaitHTTP(h.t, s.Process, s.ops, "/readyz", http.StatusOK)
	if s.kind == "api" || s.kind == "all" {
		testenv.WaitHTTP(h.t, s.Process, s.api, "/healthz", http.StatusNoContent)
	}
	if s.kind == "inventory" || s.kind == "all" {
		testenv.WaitHTTP(h.t, s.Process, s.inventory, "/healthz", http.StatusNoContent)
	}
	if s.kind == "payment" || s.kind == "all" {
		testenv.WaitHTTP(h.t, s.Process, s.payment, "/healthz", http.StatusNoContent)
	}
}

// waitForMembers waits until each consumer group has n members on each
// topic it reads, so that the load meets every instance at work.
func (h *harness) waitForMembers(n int, within time.Duration) {
	h.t.Helper()
	groups := map[string][]string{
		h.value("INVENTORY_CONSUMER_GROUP"): {h.value("ORDERS_TOPIC")},
		h.value("PAYMENT_CONSUMER_GROUP"):   {h.value("ORDERS_TOPIC")},
		h.value("SAGA_CONSUMER_GROUP"):      {h.value("INVENTORY_TOPIC"), h.value("PAYMENTS_TOPIC")},
	}
	for group, topics := range groups {
		for _, topic := range topics {
			testenv.WaitFor(h.t, within, fmt.Sprintf("%d members of consumer group %s on %s", n, group, topic), func() (bool, string) {
				members, err := kafka.GroupMembers(h.brokers, group, topic)
				return err == nil && members >= n, fmt.Sprintf("%d members (%v)", members, err)
			})
		}
	}
}

// do sends a request with a JSON body (nil: none) as an operator and
// returns the status and the body.
func (h *harness) do(method, url string, body any) (int, []byte) {
	h.t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, r)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// setStock sets a SKU's units on hand through the inventory API at inventoryAddr.
func (h *harness) setStock(inventoryAddr, sku string, onHand int) {
	h.t.Helper()
	if code, body := h.do(http.MethodPut, "http://"+inventoryAddr+"/inventory/stock/"+sku, map[string]int{"on_hand": onHand}); code != http.StatusOK {
		h.t.Fatalf("PUT stock of %s: %d %s", sku, code, body)
	}
}

// placeOrder places an order over HTTP and returns its ID.
func (h *harness) placeOrder(ctx context.Context, apiAddr string, items []item) (string, error) {
	return testenv.PlaceOrder(ctx, h.client, apiAddr, "c-system", items)
}

// waitForStatus waits until order id has status in db, failing the test
// after within.
func waitForStatus(t *testing.T, db *sql.DB, id, status string, within time.Duration) {
	t.Helper()
	testenv.WaitFor(t, within, "order "+id+" "+status, func() (bool, string) {
		var got string
		err := db.QueryRow(`SELECT status FROM orders WHERE id = $1`, id).Scan(&got)
		return got == status, fmt.Sprint(got, err)
	})
}

// onHand is each stocked SKU's units: far more than the orders take.
const onHand = 1_000_000

// stockUp stocks n SKUs with onHand units each, straight in the database.
func stockUp(t *testing.T, db *sql.DB, n int) map[string]int64 {
	t.Helper()
	stock := map[string]int64{}
	for i := range n {
		sku := fmt.Sprintf("SKU-%02d", i)
		if _, err := db.Exec(`INSERT INTO inventory_stock (sku, on_hand) VALUES ($1, $2)`, sku, onHand); err != nil {
			t.Fatal(err)
		}
		stock[sku] = onHand
	}
	return stock
}

// count runs a count query on db.
func count(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", strings.Join(strings.Fields(query), " "), err)
	}
	return n
}
