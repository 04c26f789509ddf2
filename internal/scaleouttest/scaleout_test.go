package scaleouttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/internal/testenv"
)

// declineAbove is the simulated gateway's limit in the test: an order of
// a larger total is declined, its stock released and it ends cancelled.
const declineAbove = 100_000

// load is a burst of orders and, during it, the instances killed and added.
type load struct {
	orders int
	rate   int // orders per second
	// cycles of: kill one instance of each consumer, then add one.
	cycles int
}

// TestConsumersScaleOut runs the inventory, the payment service and the
// order saga as two processes each in one consumer group, places orders
// over HTTP at a steady rate, SIGKILLs one instance of each during the
// burst, then starts one more of each. Every order must end, each effect
// happen once, and each order's events and effects come in its order.
func TestConsumersScaleOut(t *testing.T) {
	l := load{orders: 300, rate: 30, cycles: 1}
	if !testing.Short() {
		l = load{orders: 3000, rate: 50, cycles: 3}
	}
	s := newSystem(t, 6)
	db, dbURL := testenv.DBWithURL(t)
	s.env = append(s.env, "DATABASE_URL="+dbURL, fmt.Sprintf("PAYMENT_DECLINE_ABOVE=%d", declineAbove))
	skus := stockUp(t, db, 20)

	apiAddr := testenv.FreeAddr(t)
	api := s.start("api", "api", "HTTP_ADDR="+apiAddr)
	s.start("forward", "forward")
	roles := []string{"inventory", "payment", "saga"}
	instances := map[string][]*testenv.Process{}
	next := 0
	addInstance := func(role string) {
		next++
		name := fmt.Sprintf("%s-%d", role, next)
		instances[role] = append(instances[role], s.start(name, role,
			"INVENTORY_HTTP_ADDR="+testenv.FreeAddr(t), "PAYMENT_HTTP_ADDR="+testenv.FreeAddr(t)))
	}
	for _, role := range roles {
		addInstance(role)
		addInstance(role)
	}
	s.waitHTTP(api, apiAddr, "/healthz")
	s.waitForMembers(2)

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
	placed := s.burst(apiAddr, skus, l, events)
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
	check(t, db, placed, skus)
}

// waitForMembers waits until each consumer group has n members on each
// topic it consumes, so that the burst meets every instance at work.
func (s *system) waitForMembers(n int) {
	s.t.Helper()
	groups := map[string][]string{
		s.value("INVENTORY_CONSUMER_GROUP"): {s.value("ORDERS_TOPIC")},
		s.value("PAYMENT_CONSUMER_GROUP"):   {s.value("ORDERS_TOPIC")},
		s.value("SAGA_CONSUMER_GROUP"):      {s.value("INVENTORY_TOPIC"), s.value("PAYMENTS_TOPIC")},
	}
	deadline := time.Now().Add(2 * time.Minute)
	for group, topics := range groups {
		for _, topic := range topics {
			for {
				members, err := kafka.GroupMembers(s.brokers, group, topic)
				if err != nil {
					s.t.Fatal(err)
				}
				if members >= n {
					break
				}
				if time.Now().After(deadline) {
					s.t.Fatalf("consumer group %s has %d members on %s, want %d", group, members, topic, n)
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	}
}

// placedOrder is what the test placed: the items, and whether the total
// is above the gateway's limit.
type placedOrder struct {
	items    []item
	declined bool
}

// burst places l.orders orders at l.rate per second, from as many clients
// as that takes, and runs events[i] once i orders were sent.
func (s *system) burst(apiAddr string, skus []string, l load, events map[int]func()) map[string]placedOrder {
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
			id, err := s.placeOrder(ctx, apiAddr, o.items)
			if err != nil {
				s.t.Errorf("order %d: %v", i, err)
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

// randomOrder is one to three lines; one order in ten is above the
// gateway's limit.
func randomOrder(skus []string) placedOrder {
	o := placedOrder{declined: rand.IntN(10) == 0}
	for _, i := range rand.Perm(len(skus))[:1+rand.IntN(3)] {
		it := item{SKU: skus[i], Quantity: 1 + rand.Int64N(3), UnitPrice: 100 + rand.Int64N(900)}
		if o.declined {
			it.UnitPrice = declineAbove + 1
		}
		o.items = append(o.items, it)
	}
	return o
}
