package systemtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// declineAbove is the simulated gateway's limit in the tests: an order of
// a larger total is declined, its stock released, and it ends cancelled.
const declineAbove = 100_000

type item struct {
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
}

// placedOrder is what a scenario placed: the items, and whether the total
// is above the gateway's limit.
type placedOrder struct {
	items    []item
	declined bool
}

// randomOrder is one to three lines of skus; one order in ten is above
// the gateway's limit.
func randomOrder(skus []string) placedOrder {
	o := placedOrder{declined: mrand.IntN(10) == 0}
	for _, i := range mrand.Perm(len(skus))[:1+mrand.IntN(3)] {
		it := item{SKU: skus[i], Quantity: 1 + mrand.Int64N(3), UnitPrice: 100 + mrand.Int64N(900)}
		if o.declined {
			it.UnitPrice = declineAbove + 1
		}
		o.items = append(o.items, it)
	}
	return o
}

// skusOf are the SKUs of a stock, sorted.
func skusOf(stock map[string]int64) []string {
	skus := make([]string, 0, len(stock))
	for sku := range stock {
		skus = append(skus, sku)
	}
	slices.Sort(skus)
	return skus
}

// loadClient places orders on the API instances, as a client behind a
// load balancer would: a refused connection or a 503 is retried, with
// the same Idempotency-Key, on the next instance; anything else that is
// not 201 is a failure.
type loadClient struct {
	apis   []string
	http   *http.Client
	next   atomic.Uint64
	mu     sync.Mutex
	placed map[string]placedOrder
	failed []string
	retry  atomic.Int64
}

// run places orders at rate per second until ctx ends, then waits for
// the requests in flight.
func (c *loadClient) run(ctx context.Context, rate int, skus []string) {
	var wg sync.WaitGroup
	ticker := time.NewTicker(time.Second / time.Duration(rate))
	defer ticker.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-ticker.C:
			wg.Go(func() { c.place(skus) })
		}
	}
	wg.Wait()
}

func (c *loadClient) place(skus []string) {
	o := randomOrder(skus)
	body, _ := json.Marshal(map[string]any{"currency": "EUR", "items": o.items})
	key := rand.Text()
	deadline := time.Now().Add(time.Minute)
	for attempt := 0; ; attempt++ {
		api := c.apis[int(c.next.Add(1))%len(c.apis)]
		id, retriable, err := c.post(api, key, body)
		if err == nil {
			c.mu.Lock()
			c.placed[id] = o
			c.mu.Unlock()
			return
		}
		if !retriable || time.Now().After(deadline) {
			c.mu.Lock()
			c.failed = append(c.failed, fmt.Sprintf("POST /orders on %s (attempt %d): %v", api, attempt+1, err))
			c.mu.Unlock()
			return
		}
		c.retry.Add(1)
		time.Sleep(50 * time.Millisecond)
	}
}

// post sends one attempt; retriable says whether a client would retry it.
func (c *loadClient) post(api, key string, body []byte) (id string, retriable bool, err error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://"+api+"/orders", bytes.NewReader(body))
	if err != nil {
		return "", false, err
	}
	req.Header.Set("Content-Type", "application/json")
	// Also makes the transport resend it on a kept-alive connection the
	// server closed as the request went out (net/http's isReplayable).
	req.Header.Set("Idempotency-Key", key)
	resp, err := c.http.Do(req)
	if err != nil {
		return "", errors.Is(err, syscall.ECONNREFUSED), err
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	switch resp.StatusCode {
	case http.StatusCreated, http.StatusOK: // 200: a replay of an earlier attempt that went through
	case http.StatusServiceUnavailable:
		return "", true, fmt.Errorf("503 %s", raw)
	default:
		return "", false, fmt.Errorf("%d %s", resp.StatusCode, raw)
	}
	var out struct{ ID string }
	if err := json.Unmarshal(raw, &out); err != nil || out.ID == "" {
		return "", false, fmt.Errorf("answer %s: %w", raw, err)
	}
	return strings.ToLower(out.ID), false, nil
}
