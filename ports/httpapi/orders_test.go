package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/orderflow/orders/internal/testenv"
)

func TestPlaceThenGetOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {

		resp := api.post(t, "/orders", validOrder)

		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST /orders: status %d, want 201", resp.StatusCode)
		}
		placed := decode[orderJSON](t, resp)
		if placed.ID == "" || placed.Status != "placed" || placed.CustomerID != "c-1" || placed.Currency != "EUR" ||
			placed.Total != 2748 || placed.Version != 1 || len(placed.Items) != 2 || placed.Items[0].Subtotal != 2598 {
			t.Errorf("placed order = %+v", placed)
		}
		if loc := resp.Header.Get("Location"); loc != "/orders/"+placed.ID {
			t.Errorf("Location = %q, want /orders/%s", loc, placed.ID)
		}
		if etag := resp.Header.Get("ETag"); etag != `"1"` {
			t.Errorf("ETag = %s, want \"1\"", etag)
		}

		resp = api.get(t, "/orders/"+placed.ID)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET: status %d, want 200", resp.StatusCode)
		}
		if got := decode[orderJSON](t, resp); got.ID != placed.ID || got.Total != placed.Total || got.Items[0].SKU != "BOOK" {
			t.Errorf("GET returned %+v, want the placed order", got)
		}
	})
}

func TestUnknownOrdersAreNotFound(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {

		for _, id := range []string{"0b9e5a3e-8f4a-4a57-9a0f-6f1f1b1d0c11", "not-a-uuid"} {
			expectProblem(t, api.get(t, "/orders/"+id), 404, "urn:orders:problem:not-found")
			expectProblem(t, api.get(t, "/orders/"+id+"/events"), 404, "urn:orders:problem:not-found")
			expectProblem(t, api.do(t, http.MethodPost, "/orders/"+id+"/cancel", "", "", nil), 404, "urn:orders:problem:not-found")
			expectProblem(t, api.do(t, http.MethodPost, "/orders/"+id+"/ship", "", "", nil), 404, "urn:orders:problem:not-found")
		}
	})
}

func TestBadInputIsAProblemAndWritesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {

		tests := []struct {
			name        string
			contentType string
			body        string
			status      int
			problemType string
			field       string
		}{
			{"malformed JSON", "application/json", `{"customer_id": `, 400, "urn:orders:problem:malformed-request", ""},
			{"empty body", "application/json", ``, 400, "urn:orders:problem:malformed-request", ""},
			{"not an object", "application/json", `[1,2]`, 400, "urn:orders:problem:malformed-request", ""},
			{"two objects", "application/json", validOrder + validOrder, 400, "urn:orders:problem:malformed-request", ""},
			{"unknown field", "application/json", `{"customer_id": "c", "currency": "EUR", "items": [], "coupon": "X"}`, 400, "urn:orders:problem:malformed-request", "coupon"},
			{"wrong type", "application/json", `{"customer_id": "c", "currency": "EUR", "items": [{"sku": "A", "quantity": "two", "unit_price": 1}]}`, 400, "urn:orders:problem:malformed-request", "items.quantity"},
			{"quantity overflows int64", "application/json", `{"customer_id": "c", "currency": "EUR", "items": [{"sku": "A", "quantity": 99999999999999999999, "unit_price": 1}]}`, 400, "urn:orders:problem:malformed-request", "items.quantity"},
			{"wrong content type", "text/plain", validOrder, 415, "urn:orders:problem:unsupported-media-type", ""},
			{"no content type", "", validOrder, 415, "urn:orders:problem:unsupported-media-type", ""},
			{"too large", "application/json", `{"customer_id": "` + strings.Repeat("x", 70<<10) + `"}`, 413, "urn:orders:problem:payload-too-large", ""},
			{"no items", "application/json", `{"customer_id": "c", "currency": "EUR", "items": []}`, 422, "urn:orders:problem:validation", "items"},
			{"items missing", "application/json", `{"customer_id": "c", "currency": "EUR"}`, 422, "urn:orders:problem:validation", "items"},
			{"zero quantity", "application/json", `{"customer_id": "c", "currency": "EUR", "items": [{"sku": "A", "quantity": 0, "unit_price": 1}]}`, 422, "urn:orders:problem:validation", "items[0].quantity"},
			{"negative quantity", "application/json", `{"customer_id": "c", "currency": "EUR", "items": [{"sku": "A", "quantity": -3, "unit_price": 1}]}`, 422, "urn:orders:problem:validation", "items[0].quantity"},
			{"negative price", "application/json", `{"customer_id": "c", "currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": -1}]}`, 422, "urn:orders:problem:validation", "items[0].unit_price"},
			{"unknown currency", "application/json", `{"customer_id": "c", "currency": "ABC", "items": [{"sku": "A", "quantity": 1, "unit_price": 1}]}`, 422, "urn:orders:problem:validation", "currency"},
			{"over-long customer", "application/json", `{"customer_id": "` + strings.Repeat("c", 65) + `", "currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": 1}]}`, 422, "urn:orders:problem:validation", "customer_id"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := api.do(t, http.MethodPost, "/orders", tt.contentType, tt.body, nil)

				p := expectProblem(t, resp, tt.status, tt.problemType)
				if tt.field != "" && !problemNames(p, tt.field) {
					t.Errorf("problem %+v does not name field %q", p, tt.field)
				}
			})
		}

		if events, orders, outboxRows := api.countRows(t); events+orders+outboxRows != 0 {
			t.Errorf("bad requests wrote %d events, %d orders, %d outbox rows; want none", events, orders, outboxRows)
		}
	})
}

func TestRoutingErrorsAreProblems(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {

		// Undocumented on purpose: sent without the OpenAPI-checking client.
		req, err := http.NewRequestWithContext(t.Context(), http.MethodDelete, api.URL+"/orders/0b9e5a3e-8f4a-4a57-9a0f-6f1f1b1d0c11/cancel", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testenv.OperatorToken(t))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("DELETE on a POST route: %d %s, want 405 problem+json", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
}

func problemNames(p problemJSON, field string) bool {
	for _, e := range p.Errors {
		if e.Field == field {
			return true
		}
	}
	return strings.Contains(p.Detail, field)
}
