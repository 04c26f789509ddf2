package rollingrestarttest

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// gracePeriod is the processes' SHUTDOWN_GRACE_PERIOD in the test.
const gracePeriod = 20 * time.Second

// slot is one process of the system, restarted in place: the same kind
// and addresses each time.
type slot struct {
	name, kind string
	ops, api   string // METRICS_ADDR; its API's address ("" for none)
	env        []string
	proc       *testenv.Process
}

func (s *slot) start(t *testing.T, binary string, env []string) {
	t.Helper()
	all := append(append([]string{}, env...), s.env...)
	s.proc = testenv.StartProcess(t, s.name, binary, []string{s.kind}, append(all, "METRICS_ADDR="+s.ops)...)
	testenv.WaitHTTP(t, s.proc, s.ops, "/readyz", http.StatusOK)
	if s.api != "" {
		testenv.WaitHTTP(t, s.proc, s.api, "/healthz", http.StatusNoContent)
	}
}

// TestRollingRestartUnderLoad is the package's test (doc.go).
func TestRollingRestartUnderLoad(t *testing.T) {
	rounds, rate := 1, 20
	if !testing.Short() {
		rounds = 3
	}
	binary := testenv.BuildOrders(t)
	db, dbURL := testenv.DBWithURL(t)
	env := append(testenv.SystemEnv(t, testenv.Kafka(t), 3), "DATABASE_URL="+dbURL, "LOG_LEVEL=warn",
		fmt.Sprintf("PAYMENT_DECLINE_ABOVE=%d", declineAbove), "ORDER_CREATE_RATE=1000", "ORDER_CREATE_BURST=1000",
		"SHUTDOWN_GRACE_PERIOD="+gracePeriod.String())
	skus := stockUp(t, db, 10)

	var slots []*slot
	for _, kind := range []string{"api", "api", "forward", "inventory", "payment", "saga"} {
		s := &slot{name: fmt.Sprintf("%s-%d", kind, len(slots)), kind: kind, ops: testenv.FreeAddr(t)}
		switch kind {
		case "api":
			s.api = testenv.FreeAddr(t)
			s.env = []string{"HTTP_ADDR=" + s.api}
		case "inventory":
			s.env = []string{"INVENTORY_HTTP_ADDR=" + testenv.FreeAddr(t)}
		case "payment":
			s.env = []string{"PAYMENT_HTTP_ADDR=" + testenv.FreeAddr(t)}
		}
		s.start(t, binary, env)
		slots = append(slots, s)
	}

	client := &loadClient{apis: []string{slots[0].api, slots[1].api}, placed: map[string]bool{},
		http: testenv.WithBearer(&http.Client{Timeout: 30 * time.Second}, testenv.Token(t, "c-rolling", "customer"))}
	ctx, stopLoad := context.WithCancel(context.Background())
	loadDone := make(chan struct{})
	go func() { client.run(ctx, rate, skus); close(loadDone) }()
	time.Sleep(3 * time.Second)

	for round := range rounds {
		for _, s := range slots {
			took, code := s.proc.Terminate(t, gracePeriod+15*time.Second)
			t.Logf("round %d: %s ended with status %d %v after SIGTERM", round+1, s.name, code, took.Round(time.Millisecond))
			if code != 0 || took >= gracePeriod {
				t.Errorf("%s: exit status %d after %v, want 0 within the grace period %v", s.name, code, took, gracePeriod)
			}
			s.start(t, binary, env)
			time.Sleep(time.Second) // the new one takes some load before the next goes
		}
	}
	time.Sleep(2 * time.Second)
	stopLoad()
	<-loadDone

	t.Logf("placed %d orders; %d attempts retried on the other instance", len(client.placed), client.retry.Load())
	for i, f := range client.failed {
		if i < 10 {
			t.Errorf("request failed: %s", f)
		}
	}
	if len(client.failed) > 0 {
		t.Fatalf("%d requests failed that a client would not retry", len(client.failed))
	}
	ids := make([]string, 0, len(client.placed))
	for id := range client.placed {
		ids = append(ids, id)
	}
	testenv.WaitOrdersEnded(t, db, ids, 3*time.Minute)
	testenv.WaitStockReleased(t, db, time.Minute)
	checkOnce(t, db, client.placed)
	for _, s := range slots {
		if !s.proc.Running() {
			t.Errorf("%s ended", s.name)
		}
	}
}

// stockUp stocks n SKUs with far more than the orders take.
func stockUp(t *testing.T, db *sql.DB, n int) []string {
	t.Helper()
	var skus []string
	for i := range n {
		sku := fmt.Sprintf("SKU-%02d", i)
		if _, err := db.Exec(`INSERT INTO inventory_stock (sku, on_hand) VALUES ($1, 1000000)`, sku); err != nil {
			t.Fatal(err)
		}
		skus = append(skus, sku)
	}
	return skus
}
