package systemtest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// TestConsumersScaleOut runs the inventory, the payment service and the
// order saga as two processes each in one consumer group, places orders
// over HTTP at a steady rate, SIGKILLs one instance of each during the
// burst, then starts one more of each. Every order must end, each effect
// happen once, and each order's events and effects come in its order.
func TestConsumersScaleOut(t *testing.T) {
	t.Parallel()
	l := runScale().scaleOut
	h := newHarness(t, setup{env: []string{"METRICS_ADDR=off", "LOG_LEVEL=info", fmt.Sprintf("PAYMENT_DECLINE_ABOVE=%d", declineAbove)}})
	db := h.db
	stock := stockUp(t, db, 20)

	apiAddr := testenv.FreeAddr(t)
	api := h.start("api", []string{"api"}, "HTTP_ADDR="+apiAddr)
	h.start("forwarder", []string{"forwarder"})
	roles := []string{"inventory", "payment", "saga"}
	instances := map[string][]*testenv.Process{}
	next := 0
	addInstance := func(role string) {
		next++
		name := fmt.Sprintf("%s-%d", role, next)
		instances[role] = append(instances[role], h.start(name, []string{role},
			"INVENTORY_HTTP_ADDR="+testenv.FreeAddr(t), "PAYMENT_HTTP_ADDR="+testenv.FreeAddr(t)))
	}
	for _, role := range roles {
		addInstance(role)
		addInstance(role)
	}
	testenv.WaitHTTP(t, api, apiAddr, "/healthz", http.StatusNoContent)
	h.waitForMembers(2, 2*time.Minute)

	// The burst, with a kill and an addition of each consumer at fixed
	// points of it.
	events := map[int]func(){}
	step := l.orders / (2*l.cycles + 1)
	for c := range l.cycles {
		events[(2*c+1)*step] = func() {
			for _, role := range roles {
				victim := instances[role][0]
				victim.Kill()
				instances[role] = instances[role][1:]
				t.Logf("killed %s after %d orders", victim.Name, (2*c+1)*step)
			}
		}
		events[(2*c+2)*step] = func() {
			for _, role := range roles {
				addInstance(role)
			}
			t.Logf("added an instance of each consumer after %d orders", (2*c+2)*step)
		}
	}
	start := time.Now()
	placed := h.burst(apiAddr, skusOf(stock), l, events)
	t.Logf("placed %d orders in %v", len(placed), time.Since(start).Round(time.Millisecond))

	ids := make([]string, 0, len(placed))
	for id := range placed {
		ids = append(ids, id)
	}
	testenv.WaitOrdersEnded(t, db, ids, 5*time.Minute)
	t.Logf("all %d orders ended %v after the first placement", len(ids), time.Since(start).Round(time.Millisecond))
	testenv.WaitStockReleased(t, db, time.Minute)
	for _, role := range roles {
		for _, p := range instances[role] {
			if !p.Running() {
				t.Errorf("%s ended during the test", p.Name)
			}
		}
	}
	checkEndStates(t, db, placed, stock)
	checkInvariants(subject{t: t, db: db, brokers: h.brokers, topics: h.topics(), acked: ids, stock: stock, settle: time.Minute})
}

// burst places l.orders orders at l.rate per second, from as many clients
// as that takes, and runs events[i] once i orders were sent.
func (h *harness) burst(apiAddr string, skus []string, l scaleOutLoad, events map[int]func()) map[string]placedOrder {
	var (
		mu     sync.Mutex
		placed = map[string]placedOrder{}
		wg     sync.WaitGroup
	)
	ticker := time.NewTicker(time.Second / time.Duration(l.rate))
	defer ticker.Stop()
	for i := range l.orders {
		if fn := events[i]; fn != nil {
			fn()
		}
		<-ticker.C
		o := randomOrder(skus)
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			id, err := h.placeOrder(ctx, apiAddr, o.items)
			if err != nil {
				h.t.Errorf("order %d: %v", i, err)
				return
			}
			mu.Lock()
			placed[strings.ToLower(id)] = o
			mu.Unlock()
		})
	}
	wg.Wait()
	return placed
}
