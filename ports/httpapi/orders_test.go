package httpapi_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/app"
	"github.com/orderflow/orders/app/command"
	"github.com/orderflow/orders/app/query"
	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/ports/httpapi"
)

// newTestAPI serves the real application on a fresh database.
func newTestAPI(t *testing.T) (*httptest.Server, *sql.DB) {
	t.Helper()
	db := testenv.DB(t)
	repo, err := postgres.NewOrderRepository(db, outbox.NewPublisher(nil), "orders.events")
	if err != nil {
		t.Fatal(err)
	}
	readModel, err := postgres.NewOrderReadModel(db)
	if err != nil {
		t.Fatal(err)
	}
	place, err := command.NewPlaceOrderHandler(repo, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	get, err := query.NewGetOrderHandler(readModel)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.NewHandler(app.Application{
		Commands: app.Commands{PlaceOrder: place},
		Queries:  app.Queries{GetOrder: get},
	}))
	t.Cleanup(srv.Close)
	return srv, db
}

type orderJSON struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	CustomerID string `json:"customer_id"`
	Currency   string `json:"currency"`
	Items      []struct {
		SKU       string `json:"sku"`
		Quantity  int64  `json:"quantity"`
		UnitPrice int64  `json:"unit_price"`
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

func post(t *testing.T, url, contentType, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func get(t *testing.T, url string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
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

const validOrder = `{"customer_id": "c-1", "currency": "EUR", "items": [{"sku": "BOOK", "quantity": 2, "unit_price": 1299}, {"sku": "PEN", "quantity": 1, "unit_price": 150}]}`

func TestPlaceThenGetOrder(t *testing.T) {
	t.Parallel()
	srv, _ := newTestAPI(t)

	resp := post(t, srv.URL+"/orders", "application/json", validOrder)

	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /orders: status %d, want 201", resp.StatusCode)
	}
	placed := decode[orderJSON](t, resp)
	if placed.ID == "" || placed.Status != "placed" || placed.CustomerID != "c-1" || placed.Currency != "EUR" ||
		placed.Total != 2748 || placed.Version != 1 || len(placed.Items) != 2 {
		t.Errorf("placed order = %+v", placed)
	}
	if loc := resp.Header.Get("Location"); loc != "/orders/"+placed.ID {
		t.Errorf("Location = %q, want /orders/%s", loc, placed.ID)
	}

	resp = get(t, srv.URL+"/orders/"+placed.ID)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: status %d, want 200", resp.StatusCode)
	}
	if got := decode[orderJSON](t, resp); got.ID != placed.ID || got.Total != placed.Total || got.Items[0].SKU != "BOOK" {
		t.Errorf("GET returned %+v, want the placed order", got)
	}
}

func TestGetUnknownOrderIsNotFoundProblem(t *testing.T) {
	t.Parallel()
	srv, _ := newTestAPI(t)

	for _, id := range []string{"0b9e5a3e-8f4a-4a57-9a0f-6f1f1b1d0c11", "not-a-uuid"} {
		resp := get(t, srv.URL+"/orders/"+id)
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET /orders/%s: %d %s, want 404 problem+json", id, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if p := decode[problemJSON](t, resp); p.Type != "urn:orders:problem:not-found" || p.Status != 404 {
			t.Errorf("problem = %+v", p)
		}
	}
}

func TestBadInputIsAProblemAndWritesNothing(t *testing.T) {
	t.Parallel()
	srv, db := newTestAPI(t)

	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		problemType string
		field       string
	}{
		{"malformed JSON", "application/json", `{"customer_id": `, 400, "urn:orders:problem:malformed-request", ""},
		{"not an object", "application/json", `[1,2]`, 400, "urn:orders:problem:malformed-request", ""},
		{"two objects", "application/json", validOrder + validOrder, 400, "urn:orders:problem:malformed-request", ""},
		{"unknown field", "application/json", `{"customer_id": "c", "currency": "EUR", "items": [], "coupon": "X"}`, 400, "urn:orders:problem:malformed-request", "coupon"},
		{"wrong type", "application/json", `{"customer_id": "c", "currency": "EUR", "items": [{"sku": "A", "quantity": "two", "unit_price": 1}]}`, 400, "urn:orders:problem:malformed-request", "items.quantity"},
		{"wrong content type", "text/plain", validOrder, 415, "urn:orders:problem:unsupported-media-type", ""},
		{"no content type", "", validOrder, 415, "urn:orders:problem:unsupported-media-type", ""},
		{"too large", "application/json", `{"customer_id": "` + strings.Repeat("x", 70<<10) + `"}`, 413, "urn:orders:problem:payload-too-large", ""},
		{"no items", "application/json", `{"customer_id": "c", "currency": "EUR", "items": []}`, 422, "urn:orders:problem:validation", "items"},
		{"zero quantity", "application/json", `{"customer_id": "c", "currency": "EUR", "items": [{"sku": "A", "quantity": 0, "unit_price": 1}]}`, 422, "urn:orders:problem:validation", "items[0].quantity"},
		{"negative quantity", "application/json", `{"customer_id": "c", "currency": "EUR", "items": [{"sku": "A", "quantity": -3, "unit_price": 1}]}`, 422, "urn:orders:problem:validation", "items[0].quantity"},
		{"negative price", "application/json", `{"customer_id": "c", "currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": -1}]}`, 422, "urn:orders:problem:validation", "items[0].unit_price"},
		{"unknown currency", "application/json", `{"customer_id": "c", "currency": "ABC", "items": [{"sku": "A", "quantity": 1, "unit_price": 1}]}`, 422, "urn:orders:problem:validation", "currency"},
		{"over-long customer", "application/json", `{"customer_id": "` + strings.Repeat("c", 65) + `", "currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": 1}]}`, 422, "urn:orders:problem:validation", "customer_id"},
		{"quantity overflows int64", "application/json", `{"customer_id": "c", "currency": "EUR", "items": [{"sku": "A", "quantity": 99999999999999999999, "unit_price": 1}]}`, 400, "urn:orders:problem:malformed-request", "items.quantity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, srv.URL+"/orders", tt.contentType, tt.body)

			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q, want application/problem+json", ct)
			}
			p := decode[problemJSON](t, resp)
			if p.Type != tt.problemType || p.Status != tt.status || p.Detail == "" {
				t.Errorf("problem = %+v, want type %s", p, tt.problemType)
			}
			if tt.field != "" && !problemNames(p, tt.field) {
				t.Errorf("problem %+v does not name field %q", p, tt.field)
			}
		})
	}

	var events, orders, outboxRows int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM order_events), (SELECT count(*) FROM orders), (SELECT count(*) FROM watermill_orders_outbox)`).
		Scan(&events, &orders, &outboxRows); err != nil {
		t.Fatal(err)
	}
	if events+orders+outboxRows != 0 {
		t.Errorf("bad requests wrote %d events, %d orders, %d outbox rows; want none", events, orders, outboxRows)
	}
}

func problemNames(p problemJSON, field string) bool {
	for _, e := range p.Errors {
		if e.Field == field {
			return true
		}
	}
	return strings.Contains(p.Detail, field)
}
