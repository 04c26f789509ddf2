package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// noKey unsets every way of configuring the token key.
var noKey = []string{"AUTH_JWT_KEY=", "AUTH_JWT_KEY_FILE=", "AUTH_DEV_MODE="}

// TestAPIsRefuseToStartWithoutAKey: each command that serves an API stops
// at once without a key (before it even reaches the database), and a key
// too short for HS256 is a configuration error.
func TestAPIsRefuseToStartWithoutAKey(t *testing.T) {
	t.Parallel()
	nowhere := "DATABASE_URL=postgres://orders@127.0.0.1:1/none?sslmode=disable"
	for _, cmd := range []string{"api", "inventory", "payment", "all"} {
		out, code := runOrders(t, append([]string{nowhere}, noKey...), cmd)
		if code == 0 || !strings.Contains(out, "AUTH_JWT_KEY") || !strings.Contains(out, "AUTH_DEV_MODE=true") {
			t.Errorf("orders %s without a key: exit %d, output:\n%s", cmd, code, out)
		}
	}
	out, code := runOrders(t, []string{nowhere, "AUTH_JWT_KEY=too-short"}, "api")
	if code != 2 || !strings.Contains(out, "AUTH_JWT_KEY: want at least 32 bytes") {
		t.Errorf("orders api with a short key: exit %d, output:\n%s", code, out)
	}
}

// TestTokensOfTheTokenCommandOpenTheAPI runs `orders api` on a key file
// and calls it with tokens `orders token` printed for that key: a
// customer's and an operator's are accepted as such; one signed with the
// development key, or none, is a 401.
func TestTokensOfTheTokenCommandOpenTheAPI(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	keyFile := filepath.Join(t.TempDir(), "jwt.key")
	if err := os.WriteFile(keyFile, []byte(randomHex(t, 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(append([]string{}, noKey...), "AUTH_JWT_KEY_FILE="+keyFile)
	token := func(args ...string) string {
		out, code := runOrders(t, env, append([]string{"token"}, args...)...)
		if code != 0 {
			t.Fatalf("orders token %v: exit %d\n%s", args, code, out)
		}
		return strings.TrimSpace(out)
	}
	customer, other, operator := token("--customer", "c-9"), token("--customer", "c-10"), token("--customer", "ops", "--role", "operator", "--ttl", "10m")
	devOut, code := runOrders(t, noKey, "token", "--customer", "c-9")
	if code != 0 || !strings.Contains(devOut, "development key") {
		t.Fatalf("orders token without a key: exit %d, want the development key and a note\n%s", code, devOut)
	}
	devToken := strings.TrimSpace(devOut[strings.LastIndexByte(strings.TrimSpace(devOut), '\n')+1:])

	addr := testenv.FreeAddr(t)
	api := testenv.StartProcess(t, "orders api", os.Args[0], []string{"api"}, append(env, "ORDERS_TEST_RUN_MAIN=1",
		"DATABASE_URL="+dbURL, "KAFKA_BROKERS="+strings.Join(brokers, ","), "HTTP_ADDR="+addr, "LOG_LEVEL=info")...)
	base := "http://" + addr
	testenv.WaitFor(t, 60*time.Second, "orders api answers", func() (bool, string) {
		if !api.Running() {
			t.Fatalf("orders api ended:\n%s", api.Log.String())
		}
		status, _ := send(t, http.MethodGet, base+"/healthz", "", "")
		return status == http.StatusNoContent, "not yet"
	})

	status, body := send(t, http.MethodPost, base+"/orders", customer, `{"currency": "EUR", "items": [{"sku": "BOOK", "quantity": 1, "unit_price": 100}]}`)
	id := jsonField(body, "id")
	if status != http.StatusCreated || jsonField(body, "customer_id") != "c-9" {
		t.Fatalf("POST /orders as c-9: %d %s, want 201 for customer c-9", status, body)
	}
	for _, c := range []struct {
		name, method, path, token string
		want                      int
	}{
		{"the customer reads its order", http.MethodGet, "/orders/" + id, customer, http.StatusOK},
		{"another customer", http.MethodGet, "/orders/" + id, other, http.StatusNotFound},
		{"a customer ships", http.MethodPost, "/orders/" + id + "/ship", customer, http.StatusForbidden},
		{"an operator reads", http.MethodGet, "/orders/" + id, operator, http.StatusOK},
		{"the development key", http.MethodGet, "/orders/" + id, devToken, http.StatusUnauthorized},
		{"no token", http.MethodGet, "/orders/" + id, "", http.StatusUnauthorized},
	} {
		if status, body := send(t, c.method, base+c.path, c.token, ""); status != c.want {
			t.Errorf("%s: %s %s = %d %s, want %d", c.name, c.method, c.path, status, body, c.want)
		}
	}
	if strings.Contains(api.Log.String(), "AUTH_DEV_MODE") {
		t.Errorf("an API with a key of its own warns of development mode:\n%s", api.Log.String())
	}
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// send makes a request with an optional bearer token and JSON body.
func send(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// jsonField is a string field of a JSON object; "" when there is none.
func jsonField(body, field string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return ""
	}
	s, _ := m[field].(string)
	return s
}
