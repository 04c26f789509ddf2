//go:build chaos

package systemtest

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

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
	id, err := l.place(ctx, randomOrder(l.skus).items)
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
