package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	app "github.com/orderflow/orders/app/order"
	"github.com/orderflow/orders/internal/openapitest"
	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/ports/httpapi"
)

// testAPI is the application served over HTTP, with a client that checks
// every response against the OpenAPI document.
type testAPI struct {
	URL    string
	App    app.Application
	client *http.Client
	// stored counts what the application wrote.
	stored func(t *testing.T) storedCounts
}

// storedCounts is what the order service keeps: events (OrderPlaced among
// them), orders, and outbox messages.
type storedCounts struct{ events, placed, orders, outbox int }

// eachBackend runs test on the application over the memory adapters (in
// milliseconds) and over PostgreSQL (the real thing); `-run /memory`
// picks the fast ones.
func eachBackend(t *testing.T, test func(t *testing.T, api *testAPI)) {
	t.Parallel()
	for name, newAPI := range map[string]func(t *testing.T) *testAPI{"memory": newMemoryAPI, "postgres": newPostgresAPI} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, newAPI(t))
		})
	}
}

// newPostgresAPI is the application on a fresh database.
func newPostgresAPI(t *testing.T) *testAPI {
	t.Helper()
	db := testenv.DB(t)
	application := testenv.OrdersApplication(t, db)
	return serve(t, application, func(t *testing.T) storedCounts {
		t.Helper()
		var c storedCounts
		err := db.QueryRow(`SELECT (SELECT count(*) FROM order_events), (SELECT count(*) FROM order_events WHERE event_type = 'OrderPlaced'),
			(SELECT count(*) FROM orders), (SELECT count(*) FROM watermill_orders_outbox)`).Scan(&c.events, &c.placed, &c.orders, &c.outbox)
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

// newMemoryAPI is the application on the memory adapters.
func newMemoryAPI(t *testing.T) *testAPI {
	t.Helper()
	application, stored := testenv.MemoryApplication(t)
	return serve(t, application, func(*testing.T) storedCounts {
		orders, events := stored()
		return storedCounts{events: events, placed: orders, orders: orders} // one OrderPlaced per order
	})
}

func serve(t *testing.T, application app.Application, stored func(t *testing.T) storedCounts) *testAPI {
	t.Helper()
	srv := httptest.NewServer(httpapi.NewHandler(application, testenv.Auth(), nil))
	t.Cleanup(srv.Close)
	// An operator by default: it may name any customer; auth_test.go
	// sends customers' tokens of its own.
	return &testAPI{
		URL: srv.URL, App: application, stored: stored,
		client: testenv.WithBearer(openapitest.ConformingClient(t, httpapi.OpenAPI), testenv.OperatorToken(t)),
	}
}

func (a *testAPI) do(t *testing.T, method, path, contentType, body string, headers map[string]string) *http.Response {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, a.URL+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func (a *testAPI) post(t *testing.T, path, body string) *http.Response {
	t.Helper()
	return a.do(t, http.MethodPost, path, "application/json", body, nil)
}

func (a *testAPI) get(t *testing.T, path string) *http.Response {
	t.Helper()
	return a.do(t, http.MethodGet, path, "", "", nil)
}

type orderJSON struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	CustomerID   string `json:"customer_id"`
	Currency     string `json:"currency"`
	CancelReason string `json:"cancel_reason"`
	CancelDetail string `json:"cancel_detail"`
	Items        []struct {
		SKU       string `json:"sku"`
		Quantity  int64  `json:"quantity"`
		UnitPrice int64  `json:"unit_price"`
		Subtotal  int64  `json:"subtotal"`
	} `json:"items"`
	Total   int64 `json:"total"`
	Version int   `json:"version"`
}

type problemJSON struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field string `json:"field"`
	} `json:"errors"`
}

func decode[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	var v T
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

// expectProblem checks a problem+json answer of the given status and type.
func expectProblem(t *testing.T, resp *http.Response, status int, problemType string) problemJSON {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d", resp.StatusCode, status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	p := decode[problemJSON](t, resp)
	if p.Type != problemType || p.Status != status || p.Detail == "" || p.Title == "" {
		t.Errorf("problem = %+v, want type %s", p, problemType)
	}
	return p
}

const validOrder = `{"customer_id": "c-1", "currency": "EUR", "items": [{"sku": "BOOK", "quantity": 2, "unit_price": 1299}, {"sku": "PEN", "quantity": 1, "unit_price": 150}]}`

func (a *testAPI) placeOrder(t *testing.T, body string) orderJSON {
	t.Helper()
	resp := a.post(t, "/orders", body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /orders: status %d, want 201", resp.StatusCode)
	}
	return decode[orderJSON](t, resp)
}

// countRows counts what the order service keeps, across its tables.
func (a *testAPI) countRows(t *testing.T) (events, orders, outboxRows int) {
	t.Helper()
	c := a.stored(t)
	return c.events, c.orders, c.outbox
}
