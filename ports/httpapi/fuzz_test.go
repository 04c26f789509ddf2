package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	app "github.com/orderflow/orders/app/order"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/ports/httpapi"
	"github.com/orderflow/orders/ports/httpauth"
)

// The fuzz targets send the order API whatever a client could: any body,
// content type, header and query, as an operator or a customer. Whatever
// they send, the API answers with a success that is a valid order, or a
// 4xx problem (RFC 9457): never a 5xx, never a panic. Each input gets a
// fresh application on the memory adapters. `make fuzz` runs them; their
// seeds (f.Add and testdata/fuzz) run in every `go test`.

// fuzzClient is the caller of one fuzz input: an operator or the customer
// c-1, whose token is made once per target.
type fuzzClient struct{ operator, customer string }

func newFuzzClient(f *testing.F) fuzzClient {
	return fuzzClient{operator: testenv.OperatorToken(f), customer: testenv.Token(f, "c-1", httpauth.RoleCustomer)}
}

func (c fuzzClient) token(asCustomer bool) string {
	if asCustomer {
		return c.customer
	}
	return c.operator
}

// headerValue drops what an HTTP server refuses before any handler sees it.
func headerValue(v string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == 0 {
			return -1
		}
		return r
	}, v)
}

// serveFuzz sends one request to a fresh API and checks its answer.
func serveFuzz(t *testing.T, application app.Application, req *http.Request, token string) *httptest.ResponseRecorder {
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	httpapi.NewHandler(application, testenv.Auth(), nil).ServeHTTP(rec, req)
	testenv.RequireClientAnswer(t, rec)
	return rec
}

func FuzzPlaceOrder(f *testing.F) {
	client := newFuzzClient(f)
	for _, body := range []string{
		validOrder,
		`{"currency": "EUR", "items": [{"sku": "BOOK", "quantity": 1, "unit_price": 0}]}`,
		`{"currency": "EUR", "items": [{"sku": "BOOK", "quantity": 2}]}`,
		`{"currency": "EUR", "items": [{"sku": "A", "quantity": 9223372036854775807, "unit_price": 2}]}`,
		`{"currency": "EUR", "items": [{"sku": "A", "quantity": 1e3, "unit_price": 1.5}]}`,
		`{"currency": null, "items": []}`,
		`{"customer_id": "", "currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": 1}]}`,
		`{"currency": "EUR", "items": [{"sku": "A\u0000", "quantity": 1, "unit_price": 1}], "extra": 1}`,
		`{"currency": "EUR"}{"currency": "EUR"}`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`,
		``,
	} {
		f.Add([]byte(body), "application/json", "", false)
	}
	f.Add([]byte(validOrder), "application/json; charset=utf-8", "key-1", true)
	f.Add([]byte(validOrder), "text/plain", "key with spaces", false)
	f.Add([]byte(validOrder), "application/json", strings.Repeat("k", 256), true)
	f.Fuzz(func(t *testing.T, body []byte, contentType, idempotencyKey string, asCustomer bool) {
		application, _ := testenv.MemoryApplication(t)
		req := httptest.NewRequest(http.MethodPost, "/orders", bytes.NewReader(body))
		req.Header.Set("Content-Type", headerValue(contentType))
		if idempotencyKey != "" {
			req.Header.Set("Idempotency-Key", headerValue(idempotencyKey))
		}
		rec := serveFuzz(t, application, req, client.token(asCustomer))
		if rec.Code != http.StatusCreated {
			return
		}
		var placed struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Items  []struct {
				Quantity  int64 `json:"quantity"`
				UnitPrice int64 `json:"unit_price"`
				Subtotal  int64 `json:"subtotal"`
			} `json:"items"`
			Total int64 `json:"total"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &placed); err != nil {
			t.Fatalf("201 with a body that is no order: %v: %s", err, rec.Body)
		}
		var total int64
		for _, it := range placed.Items {
			if it.Quantity < 1 || it.UnitPrice < 0 || it.Subtotal != it.Quantity*it.UnitPrice {
				t.Fatalf("201 with an invalid line %+v: %s", it, rec.Body)
			}
			total += it.Subtotal
		}
		if placed.Status != "placed" || len(placed.Items) == 0 || placed.Total != total || placed.ID == "" {
			t.Fatalf("201 with an invalid order: %s", rec.Body)
		}
	})
}

func FuzzOrderCommand(f *testing.F) {
	client := newFuzzClient(f)
	f.Add(false, "", []byte(`{"reason": "changed my mind"}`), "application/json", "", false)
	f.Add(false, "", []byte(``), "", `"1"`, true)
	f.Add(false, "", []byte(`{"reason": null}`), "application/json", `W/"1"`, false)
	f.Add(false, "", []byte(`{"reason": "`+strings.Repeat("x", 600)+`"}`), "application/json", `"1", "2"`, false)
	f.Add(true, "", []byte(``), "", `*`, false)
	f.Add(true, "not-a-uuid", []byte(``), "", `"99999999999999999999"`, false)
	f.Add(false, "00000000-0000-0000-0000-000000000000", []byte(`{}`), "application/json", ``, true)
	f.Fuzz(func(t *testing.T, ship bool, id string, body []byte, contentType, ifMatch string, asCustomer bool) {
		application, _ := testenv.MemoryApplication(t)
		if id == "" { // an order that exists, placed by c-1
			id = placeForFuzz(t, application)
		}
		path := "/orders/" + url.PathEscape(id) + "/cancel"
		if ship {
			path = "/orders/" + url.PathEscape(id) + "/ship"
		}
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", headerValue(contentType))
		}
		if ifMatch != "" {
			req.Header.Set("If-Match", headerValue(ifMatch))
		}
		serveFuzz(t, application, req, client.token(asCustomer))
	})
}

func FuzzListOrders(f *testing.F) {
	client := newFuzzClient(f)
	for _, q := range []string{
		"", "limit=1", "limit=0", "limit=-1", "limit=99999999999999999999", "limit=1&limit=2",
		"cursor=1.00000000000000000000000000000000", "cursor=.", "cursor=%FF%00", "cursor=9223372036854775807.zz",
		"customer_id=", "customer_id=c-2", "customer_id=%00", "%zz=1", "limit=2&cursor=",
	} {
		f.Add(q, false)
		f.Add(q, true)
	}
	f.Fuzz(func(t *testing.T, rawQuery string, asCustomer bool) {
		application, _ := testenv.MemoryApplication(t)
		for range 3 {
			placeForFuzz(t, application)
		}
		req := httptest.NewRequest(http.MethodGet, "/orders", nil)
		req.URL.RawQuery = rawQuery
		serveFuzz(t, application, req, client.token(asCustomer))
	})
}

// placeForFuzz places an order of c-1 through the application and returns
// its ID.
func placeForFuzz(t *testing.T, application app.Application) string {
	t.Helper()
	id := order.ID(uuid.NewString())
	_, err := application.Commands.PlaceOrder.Handle(context.Background(), command.PlaceOrder{OrderID: id, Order: order.PlaceInput{
		CustomerID: "c-1", Currency: "EUR", Items: []order.ItemInput{{SKU: "BOOK", Quantity: 1, UnitPrice: 100}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return string(id)
}
