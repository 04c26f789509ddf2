//go:build chaos

package chaostest

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/orderflow/orders/internal/testenv"
)

type item struct {
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
}

// load places orders over HTTP at a steady rate until stopped, and keeps
// the IDs of those the API acknowledged (201).
type load struct {
	client  *http.Client
	apiAddr string
	skus    []string

	mu       sync.Mutex
	acked    []string
	failures int
	lastErr  string

	stop     chan struct{}
	finished sync.WaitGroup
}

func startLoad(client *http.Client, apiAddr string, skus []string, rate int) *load {
	l := &load{client: client, apiAddr: apiAddr, skus: skus, stop: make(chan struct{})}
	l.finished.Go(func() {
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-tick.C:
			}
			l.finished.Go(l.placeOne)
		}
	})
	return l
}

// halt stops placing orders and waits for the requests in flight.
func (l *load) halt() {
	close(l.stop)
	l.finished.Wait()
}

func (l *load) placeOne() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := l.place(ctx, randomItems(l.skus))
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.failures++
		l.lastErr = err.Error()
		return
	}
	l.acked = append(l.acked, strings.ToLower(id))
}

// ackedSoFar is the IDs acknowledged until now.
func (l *load) ackedSoFar() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.acked...)
}

// randomItems is one to three lines; one order in ten is above the
// gateway's limit.
func randomItems(skus []string) []item {
	declined := rand.IntN(10) == 0
	var items []item
	for _, i := range rand.Perm(len(skus))[:1+rand.IntN(3)] {
		it := item{SKU: skus[i], Quantity: 1 + rand.Int64N(3), UnitPrice: 100 + rand.Int64N(900)}
		if declined {
			it.UnitPrice = declineAbove + 1
		}
		items = append(items, it)
	}
	return items
}

func (l *load) place(ctx context.Context, items []item) (string, error) {
	return testenv.PlaceOrder(ctx, l.client, l.apiAddr, "c-chaos", items)
}

// recovery is how long after a fault ended every order acknowledged
// before that moment had reached an end state.
type recovery struct {
	fault string
	took  time.Duration
	done  bool // false: not within the settle timeout
}

// openOrders counts the orders of ids not confirmed or cancelled.
func openOrders(db *sql.DB, ids []string) (int, error) {
	var open int
	err := db.QueryRow(`SELECT count(*) FROM unnest($1::uuid[]) AS p(id)
		LEFT JOIN orders o ON o.id = p.id WHERE o.status IS NULL OR o.status NOT IN ('confirmed', 'cancelled')`,
		pq.Array(ids)).Scan(&open)
	return open, err
}

// watchRecovery measures, in the background, the recovery from a fault
// that ended now; the result goes to out when known or when within ends.
func watchRecovery(db *sql.DB, fault string, ids []string, within time.Duration, out chan<- recovery) {
	end := time.Now()
	go func() {
		for time.Since(end) < within {
			if open, err := openOrders(db, ids); err == nil && open == 0 {
				out <- recovery{fault: fault, took: time.Since(end), done: true}
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
		out <- recovery{fault: fault, took: time.Since(end)}
	}()
}
