package httpapi_test

import (
	"bytes"
	"database/sql"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/orderflow/orders/internal/testenv"
)

// A database that is briefly out of reach is a 503 with Retry-After, safe
// to retry; never a 500.

func TestDatabaseRefusingConnectionsAnswers503(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	api := serve(t, testenv.OrdersApplication(t, db), nil)
	placed := api.placeOrder(t, validOrder)

	// The test's own database only: no connection may come back, and
	// those the pool holds are ended (clients only: an autovacuum worker
	// on it is not ours to end).
	name := dbURL[strings.LastIndex(dbURL, "/")+1:]
	name, _, _ = strings.Cut(name, "?")
	admin, err := sql.Open("postgres", testenv.DatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = admin.Close() }()
	if _, err := admin.Exec(`ALTER DATABASE ` + name + ` CONNECTION LIMIT 0`); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = admin.Exec(`ALTER DATABASE ` + name + ` CONNECTION LIMIT -1`) }()
	if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`, name); err != nil {
		t.Fatal(err)
	}

	expectUnavailable(t, api.get(t, "/orders/"+placed.ID))
	expectUnavailable(t, api.post(t, "/orders", validOrder))
	expectUnavailable(t, api.post(t, "/orders/"+placed.ID+"/cancel", `{}`))

	if _, err := admin.Exec(`ALTER DATABASE ` + name + ` CONNECTION LIMIT -1`); err != nil {
		t.Fatal(err)
	}
	if resp := api.get(t, "/orders/"+placed.ID); resp.StatusCode != http.StatusOK {
		t.Errorf("once the database is back: status %d, want 200", resp.StatusCode)
	}
}

func TestDatabaseOnAClosedPortAnswers503(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("postgres", "postgres://orders:orders@"+testenv.FreeAddr(t)+"/orders?sslmode=disable&connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	api := serve(t, testenv.OrdersApplication(t, db), nil)

	expectUnavailable(t, api.get(t, "/orders/00000000-0000-4000-8000-000000000000"))
	expectUnavailable(t, api.get(t, "/orders?customer_id=c-1"))
	expectUnavailable(t, api.post(t, "/orders", validOrder))
}

// An order whose row another session holds (psql, a report) cannot be
// changed while it does: with a lock_timeout on the pool the request
// gives up and answers 503, to be retried; once the row is free it works.
func TestAnOrderLockedByAnotherSessionAnswers503(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.DBWithURL(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("lock_timeout", "200") // ms, a run-time parameter as DATABASE_LOCK_TIMEOUT sends it
	u.RawQuery = q.Encode()
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	api := serve(t, testenv.OrdersApplication(t, db), nil)
	placed := api.placeOrder(t, validOrder)

	holder, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Rollback() }()
	if _, err := holder.Exec(`SELECT 1 FROM orders WHERE id = $1 FOR UPDATE`, placed.ID); err != nil {
		t.Fatal(err)
	}
	expectUnavailable(t, api.post(t, "/orders/"+placed.ID+"/cancel", `{}`))
	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	if resp := api.post(t, "/orders/"+placed.ID+"/cancel", `{}`); resp.StatusCode != http.StatusOK {
		t.Errorf("once the row is free: status %d, want 200", resp.StatusCode)
	}
}

func TestInternalErrorsGiveNothingAway(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	api := serve(t, testenv.OrdersApplication(t, db), nil)
	placed := api.placeOrder(t, validOrder)
	// A read model the service cannot read: a bug of ours, not the
	// database being away.
	if _, err := db.Exec(`ALTER TABLE orders RENAME COLUMN items TO items_gone`); err != nil {
		t.Fatal(err)
	}

	resp := api.get(t, "/orders/"+placed.ID)
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	p := expectProblem(t, resp, 500, "urn:orders:problem:internal")
	if p.Detail != "internal error" {
		t.Errorf("detail %q, want only \"internal error\"", p.Detail)
	}
	for _, leak := range []string{"items", "column", "does not exist", "pq:", "SELECT", "goroutine", ".go:"} {
		if strings.Contains(string(body), leak) {
			t.Errorf("500 body tells %q: %s", leak, body)
		}
	}
	if id := resp.Header.Get("X-Correlation-ID"); id == "" || !strings.Contains(string(body), id) {
		t.Errorf("500 body %s does not carry the correlation ID %q", body, id)
	}
}

func expectUnavailable(t *testing.T, resp *http.Response) {
	t.Helper()
	expectProblem(t, resp, 503, "urn:orders:problem:unavailable")
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("503 with Retry-After %q, want a positive number of seconds", resp.Header.Get("Retry-After"))
	}
}
