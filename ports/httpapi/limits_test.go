package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/orderflow/orders/internal/openapitest"
	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/ports/httpapi"
	"github.com/orderflow/orders/ports/httpauth"
)

func TestLimitsOfARequest(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		huge := `{"customer_id": "c", "currency": "EUR", "items": [{"sku": "` + strings.Repeat("s", 70<<10) + `", "quantity": 1, "unit_price": 1}]}`
		expectProblem(t, api.post(t, "/orders", huge), 413, "urn:orders:problem:payload-too-large")

		items := strings.Repeat(`{"sku": "A", "quantity": 1, "unit_price": 1},`, 101)
		expectProblem(t, api.post(t, "/orders", `{"customer_id": "c", "currency": "EUR", "items": [`+strings.TrimSuffix(items, ",")+`]}`),
			422, "urn:orders:problem:validation")
		for _, item := range []string{
			`{"sku": "A", "quantity": 10001, "unit_price": 1}`,
			`{"sku": "A", "quantity": 1, "unit_price": 100000000001}`,
			`{"sku": "` + strings.Repeat("s", 65) + `", "quantity": 1, "unit_price": 1}`,
		} {
			expectProblem(t, api.post(t, "/orders", `{"customer_id": "c", "currency": "EUR", "items": [`+item+`]}`), 422, "urn:orders:problem:validation")
		}
		expectProblem(t, api.post(t, "/orders", `{"customer_id": "`+strings.Repeat("c", 65)+`", "currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": 1}]}`),
			422, "urn:orders:problem:validation")
	})
}

func TestOrderCreationIsRateLimitedPerClient(t *testing.T) {
	t.Parallel()
	application, _ := testenv.MemoryApplication(t)
	srv := httptest.NewServer(httpapi.NewHandler(application, testenv.Auth(), nil, httpapi.WithCreateRateLimit(0.001, 2)))
	t.Cleanup(srv.Close)
	client := testenv.WithBearer(openapitest.ConformingClient(t, httpapi.OpenAPI), testenv.Token(t, "c-1", httpauth.RoleCustomer))

	var statuses []int
	for range 3 {
		resp, err := client.Post(srv.URL+"/orders", "application/json", strings.NewReader(validOrder))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests {
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
				t.Errorf("429 with Retry-After %q, want a positive number of seconds", resp.Header.Get("Retry-After"))
			}
		}
	}
	if fmt.Sprint(statuses) != "[201 201 429]" {
		t.Errorf("statuses %v, want a burst of 2 then 429", statuses)
	}
	// Operators (trusted tools placing for many customers) are not limited.
	operator := testenv.WithBearer(openapitest.ConformingClient(t, httpapi.OpenAPI), testenv.OperatorToken(t))
	resp, err := operator.Post(srv.URL+"/orders", "application/json", strings.NewReader(validOrder))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("an operator's order after the customer's limit: status %d, want 201", resp.StatusCode)
	}
	// Reads are not limited.
	resp, err = client.Get(srv.URL + "/orders?customer_id=c-1")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("list after the limit: status %d, want 200", resp.StatusCode)
	}
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		placed := api.placeOrder(t, validOrder)
		for _, resp := range []*http.Response{
			api.get(t, "/orders/"+placed.ID),
			api.get(t, "/orders/00000000-0000-0000-0000-000000000000"),
			api.post(t, "/orders", `{`),
			undocumented(t, api.URL+"/no-such-route"),
			undocumented(t, api.URL+"/openapi.yaml"),
		} {
			for header, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Cache-Control":          "no-store",
				"Referrer-Policy":        "no-referrer",
			} {
				if got := resp.Header.Get(header); got != want {
					t.Errorf("%s %s: %s = %q, want %q", resp.Request.Method, resp.Request.URL.Path, header, got, want)
				}
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("%s: Content-Security-Policy = %q, want default-src 'none'", resp.Request.URL.Path, csp)
			}
		}
	})
}

// undocumented GETs a path the OpenAPI document does not list.
func undocumented(t *testing.T, url string) *http.Response {
	t.Helper()
	resp, err := http.Get(url) //nolint:noctx // a test's short request
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp
}
