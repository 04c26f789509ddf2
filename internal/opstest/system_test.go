package opstest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// system is processes of one test on one database and its own topics.
type system struct {
	t      *testing.T
	binary string
	db     *sql.DB
	env    []string
	client *http.Client // with an operator's token
}

func newSystem(t *testing.T, binary string) *system {
	t.Helper()
	db, dbURL := testenv.DBWithURL(t)
	env := append(testenv.SystemEnv(t, testenv.Kafka(t), 2), "DATABASE_URL="+dbURL, "LOG_LEVEL=warn")
	return &system{t: t, binary: binary, db: db, env: env,
		client: testenv.WithBearer(&http.Client{Timeout: 30 * time.Second}, testenv.OperatorToken(t))}
}

// process is a started `orders <kind>` and its addresses.
type process struct {
	*testenv.Process
	kind             string
	ops, api         string // METRICS_ADDR; its API's (HTTP_ADDR or the service's)
	inventory, payme string
}

// start runs `orders kind` with free addresses, and waits until its ops
// listener answers /healthz.
func (s *system) start(kind string, env ...string) *process {
	s.t.Helper()
	p := &process{kind: kind, ops: testenv.FreeAddr(s.t), api: testenv.FreeAddr(s.t),
		inventory: testenv.FreeAddr(s.t), payme: testenv.FreeAddr(s.t)}
	switch kind {
	case "inventory":
		p.inventory = p.api
	case "payment":
		p.payme = p.api
	}
	all := append(append([]string{}, s.env...), "METRICS_ADDR="+p.ops, "HTTP_ADDR="+p.api,
		"INVENTORY_HTTP_ADDR="+p.inventory, "PAYMENT_HTTP_ADDR="+p.payme)
	p.Process = testenv.StartProcess(s.t, "orders "+kind, s.binary, []string{kind}, append(all, env...)...)
	testenv.WaitHTTP(s.t, p.Process, p.ops, "/healthz", http.StatusNoContent)
	testenv.WaitHTTP(s.t, p.Process, p.ops, "/readyz", http.StatusOK)
	switch kind {
	case "api", "all":
		testenv.WaitHTTP(s.t, p.Process, p.api, "/healthz", http.StatusNoContent)
	}
	switch kind {
	case "all", "inventory":
		testenv.WaitHTTP(s.t, p.Process, p.inventory, "/healthz", http.StatusNoContent)
	case "payment":
		testenv.WaitHTTP(s.t, p.Process, p.payme, "/healthz", http.StatusNoContent)
	}
	return p
}

// do sends a request with a JSON body (nil: none) and returns the status.
func (s *system) do(method, url string, body any) (int, []byte) {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, r)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// placeAndWait stocks a SKU through inventoryAddr, places an order of it
// through apiAddr and waits until the order is confirmed: every process
// has then done each kind of its work once.
func (s *system) placeAndWait(apiAddr, inventoryAddr string) {
	s.t.Helper()
	if code, body := s.do(http.MethodPut, "http://"+inventoryAddr+"/inventory/stock/BOOK", map[string]int{"on_hand": 10}); code != http.StatusOK {
		s.t.Fatalf("PUT stock: %d %s", code, body)
	}
	order := map[string]any{"currency": "EUR", "items": []map[string]any{{"sku": "BOOK", "quantity": 1, "unit_price": 1299}}}
	code, body := s.do(http.MethodPost, "http://"+apiAddr+"/orders", order)
	if code != http.StatusCreated {
		s.t.Fatalf("POST /orders: %d %s", code, body)
	}
	var placed struct{ ID string }
	if err := json.Unmarshal(body, &placed); err != nil {
		s.t.Fatal(err)
	}
	testenv.WaitFor(s.t, 90*time.Second, "order "+placed.ID+" confirmed", func() (bool, string) {
		var status string
		err := s.db.QueryRow(`SELECT status FROM orders WHERE id = $1`, placed.ID).Scan(&status)
		return status == "confirmed", fmt.Sprint(status, err)
	})
}
