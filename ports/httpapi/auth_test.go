package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/ports/httpauth"
)

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

func signed(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	token, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestRequestsWithoutAValidTokenAre401AndWriteNothing(t *testing.T) {
	api := newMemoryAPI(t)
	other, err := httpauth.New(httpauth.Settings{Key: []byte(strings.Repeat("k", 32))})
	if err != nil {
		t.Fatal(err)
	}
	otherKeyToken, err := other.Issue(httpauth.Principal{Subject: "c-1", Role: httpauth.RoleCustomer}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	key := []byte(httpauth.DevelopmentKey)
	hourAgo := time.Now().Add(-time.Hour).Unix()
	cases := map[string]struct {
		authorization string
		invalidToken  bool // an error="invalid_token" challenge, not a bare one
	}{
		"missing":         {"", false},
		"another scheme":  {"Basic YzoxOnBhc3N3b3Jk", false},
		"empty bearer":    {"Bearer ", false},
		"malformed":       {"Bearer not.a.jwt", true},
		"wrong key":       {"Bearer " + otherKeyToken, true},
		"expired":         {"Bearer " + signed(t, jwt.SigningMethodHS256, key, jwt.MapClaims{"sub": "c-1", "role": "customer", "exp": hourAgo}), true},
		"no exp":          {"Bearer " + signed(t, jwt.SigningMethodHS256, key, jwt.MapClaims{"sub": "c-1", "role": "customer"}), true},
		"unknown role":    {"Bearer " + signed(t, jwt.SigningMethodHS256, key, jwt.MapClaims{"sub": "c-1", "role": "admin", "exp": time.Now().Add(time.Hour).Unix()}), true},
		"no subject":      {"Bearer " + signed(t, jwt.SigningMethodHS256, key, jwt.MapClaims{"role": "operator", "exp": time.Now().Add(time.Hour).Unix()}), true},
		"alg none":        {"Bearer " + signed(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"sub": "c-1", "role": "operator", "exp": time.Now().Add(time.Hour).Unix()}), true},
		"HS512, same key": {"Bearer " + signed(t, jwt.SigningMethodHS512, key, jwt.MapClaims{"sub": "c-1", "role": "operator", "exp": time.Now().Add(time.Hour).Unix()}), true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, req := range []struct{ method, path, body string }{
				{http.MethodPost, "/orders", validOrder},
				{http.MethodGet, "/orders?customer_id=c-1", ""},
				{http.MethodGet, "/orders/0b9e5a3e-8f4a-4a57-9a0f-6f1f1b1d0c11", ""},
				{http.MethodPost, "/orders/0b9e5a3e-8f4a-4a57-9a0f-6f1f1b1d0c11/ship", ""},
			} {
				// The Authorization header set here, even empty, wins over the client's token.
				resp := api.do(t, req.method, req.path, "application/json", req.body, map[string]string{"Authorization": tc.authorization})
				p := expectProblem(t, resp, http.StatusUnauthorized, httpauth.TypeUnauthorized)
				challenge := resp.Header.Get("WWW-Authenticate")
				if !strings.HasPrefix(challenge, `Bearer realm="orders"`) || strings.Contains(challenge, "invalid_token") != tc.invalidToken {
					t.Errorf("%s %s: WWW-Authenticate = %q (invalid_token expected: %v)", req.method, req.path, challenge, tc.invalidToken)
				}
				if strings.Contains(p.Detail, "eyJ") {
					t.Errorf("the problem echoes the token: %s", p.Detail)
				}
			}
		})
	}
	if events, orders, _ := api.countRows(t); events != 0 || orders != 0 {
		t.Errorf("unauthenticated requests wrote %d events, %d orders", events, orders)
	}
}

func TestHealthAndTheDocumentNeedNoToken(t *testing.T) {
	api := newMemoryAPI(t)
	for _, path := range []string{"/healthz", "/openapi.yaml"} {
		resp, err := http.Get(api.URL + path) //nolint:noctx // a test
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Errorf("GET %s without a token: %d, want 2xx", path, resp.StatusCode)
		}
	}
}

func TestCustomersWorkOnTheirOwnOrdersOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		alice, bob := bearer(testenv.Token(t, "alice", httpauth.RoleCustomer)), bearer(testenv.Token(t, "bob", httpauth.RoleCustomer))
		noCustomer := `{"currency": "EUR", "items": [{"sku": "BOOK", "quantity": 1, "unit_price": 100}]}`

		resp := api.do(t, http.MethodPost, "/orders", "application/json", noCustomer, alice)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("alice places: %d, want 201", resp.StatusCode)
		}
		placed := decode[orderJSON](t, resp)
		if placed.CustomerID != "alice" {
			t.Errorf("customer_id = %q, want alice, from the token", placed.CustomerID)
		}
		id := placed.ID

		// Bob learns nothing of alice's order: the same 404 as for no order.
		for _, r := range []struct{ method, path string }{
			{http.MethodGet, "/orders/" + id}, {http.MethodGet, "/orders/" + id + "/events"}, {http.MethodPost, "/orders/" + id + "/cancel"},
		} {
			expectProblem(t, api.do(t, r.method, r.path, "", "", bob), http.StatusNotFound, "urn:orders:problem:not-found")
		}
		expectProblem(t, api.do(t, http.MethodGet, "/orders?customer_id=alice", "", "", bob), http.StatusForbidden, httpauth.TypeForbidden)
		if page := decode[struct{ Orders []orderJSON }](t, api.do(t, http.MethodGet, "/orders", "", "", bob)); len(page.Orders) != 0 {
			t.Errorf("bob's own listing shows %d orders, want 0", len(page.Orders))
		}

		// Alice sees and lists hers; an operator reads any.
		if resp := api.do(t, http.MethodGet, "/orders/"+id+"/events", "", "", alice); resp.StatusCode != http.StatusOK {
			t.Errorf("alice reads her events: %d, want 200", resp.StatusCode)
		}
		if page := decode[struct{ Orders []orderJSON }](t, api.do(t, http.MethodGet, "/orders", "", "", alice)); len(page.Orders) != 1 || page.Orders[0].ID != id {
			t.Errorf("alice's listing = %+v, want her order", page.Orders)
		}
		if got := decode[orderJSON](t, api.get(t, "/orders/"+id)); got.ID != id || got.Status != "placed" {
			t.Errorf("operator reads %+v, want the placed order (bob's cancel did nothing)", got)
		}
		// Shipping is for operators: 403 even on her own order.
		resp = api.do(t, http.MethodPost, "/orders/"+id+"/ship", "", "", alice)
		expectProblem(t, resp, http.StatusForbidden, httpauth.TypeForbidden)
		if c := resp.Header.Get("WWW-Authenticate"); !strings.Contains(c, `error="insufficient_scope"`) {
			t.Errorf("WWW-Authenticate = %q, want insufficient_scope", c)
		}
		if resp := api.do(t, http.MethodPost, "/orders/"+id+"/cancel", "", "", alice); resp.StatusCode != http.StatusOK {
			t.Errorf("alice cancels her order: %d, want 200", resp.StatusCode)
		}
	})
}

func TestACustomerCannotPlaceForAnother(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		c1 := bearer(testenv.Token(t, "c-1", httpauth.RoleCustomer))
		other := `{"customer_id": "c-2", "currency": "EUR", "items": [{"sku": "BOOK", "quantity": 1, "unit_price": 100}]}`
		expectProblem(t, api.do(t, http.MethodPost, "/orders", "application/json", other, c1), http.StatusForbidden, httpauth.TypeForbidden)
		if events, orders, outboxRows := api.countRows(t); events+orders+outboxRows != 0 {
			t.Errorf("a refused order wrote %d events, %d orders, %d outbox rows", events, orders, outboxRows)
		}
		// Naming itself is allowed (validOrder names c-1).
		if resp := api.do(t, http.MethodPost, "/orders", "application/json", validOrder, c1); resp.StatusCode != http.StatusCreated {
			t.Errorf("c-1 places an order naming c-1: %d, want 201", resp.StatusCode)
		}
	})
}
