package scaleouttest

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// system is the topics, consumer groups and binary that the test's
// processes share; each process gets its database URLs from the test.
type system struct {
	t       *testing.T
	binary  string
	brokers []string
	env     []string // topics, consumer groups, brokers: the same for every process
	client  *http.Client
}

func newSystem(t *testing.T, partitions int32) *system {
	t.Helper()
	brokers := testenv.Kafka(t)
	s := &system{t: t, binary: testenv.BuildOrders(t), brokers: brokers, client: testenv.WithBearer(&http.Client{Timeout: 30 * time.Second}, testenv.OperatorToken(t))}
	s.env = append(testenv.SystemEnv(t, brokers, partitions), "METRICS_ADDR=off", "LOG_LEVEL=info")
	return s
}

// value returns the value of a variable of s.env.
func (s *system) value(variable string) string {
	for _, kv := range s.env {
		if v, ok := strings.CutPrefix(kv, variable+"="); ok {
			return v
		}
	}
	s.t.Fatalf("%s is not set", variable)
	return ""
}

// start runs `orders <role>` with s.env and env added.
func (s *system) start(name, role string, env ...string) *testenv.Process {
	return testenv.StartProcess(s.t, name, s.binary, []string{role}, append(append([]string{}, s.env...), env...)...)
}

// run runs `orders args…` to its end and returns its output.
func (s *system) run(env []string, args ...string) (string, error) {
	p := testenv.StartProcess(s.t, "orders "+strings.Join(args, " "), s.binary, args, append(append([]string{}, s.env...), env...)...)
	select {
	case <-p.Exited:
	case <-time.After(2 * time.Minute):
		s.t.Fatalf("orders %s did not end within 2 minutes", strings.Join(args, " "))
	}
	if code := p.Cmd.ProcessState.ExitCode(); code != 0 {
		return p.Log.String(), fmt.Errorf("orders %s: exit status %d", strings.Join(args, " "), code)
	}
	return p.Log.String(), nil
}

// waitHTTP waits until addr answers GET path.
func (s *system) waitHTTP(p *testenv.Process, addr, path string) {
	s.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := s.client.Get("http://" + addr + path)
		if err == nil {
			_ = resp.Body.Close()
			return
		}
		if !p.Running() || time.Now().After(deadline) {
			s.t.Fatalf("%s never answered on %s: %v", p.Name, addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// setStock sets a SKU's units on hand through the inventory API.
func (s *system) setStock(inventoryAddr, sku string, onHand int) {
	s.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPut, "http://"+inventoryAddr+"/inventory/stock/"+sku,
		strings.NewReader(fmt.Sprintf(`{"on_hand": %d}`, onHand)))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("PUT stock of %s: %v", sku, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("PUT stock of %s: %s", sku, resp.Status)
	}
}

type item struct {
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
}

// placeOrder places an order over HTTP and returns its ID.
func (s *system) placeOrder(ctx context.Context, apiAddr string, items []item) (string, error) {
	return testenv.PlaceOrder(ctx, s.client, apiAddr, "c-scale", items)
}

// count runs a count query on db.
func count(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
