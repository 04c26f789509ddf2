package systemtest

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// gracePeriod is the processes' SHUTDOWN_GRACE_PERIOD in the test.
const gracePeriod = 20 * time.Second

// TestRollingRestartUnderLoad restarts every process of a running system,
// one by one, under a steady load of orders: two API instances behind a
// client that retries a refused connection or a 503 on the other one,
// the forwarder, the inventory, the payment service and the saga. Each
// gets SIGTERM and must end by itself, with status 0, within its grace
// period. Afterwards no request failed that a client would not retry,
// and the invariants hold. -short (in `make test`) restarts each process
// once; without it (`make test-rolling-restart`) three rounds.
func TestRollingRestartUnderLoad(t *testing.T) {
	t.Parallel()
	sc := runScale()
	h := newHarness(t, setup{partitions: 3, env: []string{"LOG_LEVEL=warn",
		fmt.Sprintf("PAYMENT_DECLINE_ABOVE=%d", declineAbove), "ORDER_CREATE_RATE=1000", "ORDER_CREATE_BURST=1000",
		"SHUTDOWN_GRACE_PERIOD=" + gracePeriod.String()}})
	stock := stockUp(t, h.db, 10)

	var procs []*ordersProcess
	for _, kind := range []string{"api", "api", "forwarder", "inventory", "payment", "saga"} {
		procs = append(procs, h.startService(fmt.Sprintf("%s-%d", kind, len(procs)), kind))
	}

	client := &loadClient{apis: []string{procs[0].api, procs[1].api}, placed: map[string]placedOrder{},
		http: testenv.WithBearer(&http.Client{Timeout: 30 * time.Second}, testenv.Token(t, "c-rolling", "customer"))}
	ctx, stopLoad := context.WithCancel(context.Background())
	loadDone := make(chan struct{})
	go func() { client.run(ctx, sc.rollingRate, skusOf(stock)); close(loadDone) }()
	time.Sleep(3 * time.Second)

	for round := range sc.rollingRounds {
		for _, s := range procs {
			took, code := s.Terminate(t, gracePeriod+15*time.Second)
			t.Logf("round %d: %s ended with status %d %v after SIGTERM", round+1, s.name, code, took.Round(time.Millisecond))
			if code != 0 || took >= gracePeriod {
				t.Errorf("%s: exit status %d after %v, want 0 within the grace period %v", s.name, code, took, gracePeriod)
			}
			h.restart(s)
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
	testenv.WaitOrdersEnded(t, h.db, ids, 3*time.Minute)
	testenv.WaitStockReleased(t, h.db, time.Minute)
	checkEndStates(t, h.db, client.placed, stock)
	checkInvariants(subject{t: t, db: h.db, brokers: h.brokers, topics: h.topics(), acked: ids, stock: stock, settle: time.Minute})
	for _, s := range procs {
		if !s.Running() {
			t.Errorf("%s ended", s.name)
		}
	}
}
