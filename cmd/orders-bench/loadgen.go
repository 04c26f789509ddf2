package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orderflow/orders/ports/httpauth"
)

// skus is the catalogue the load generator orders from; the end-to-end run
// gives each of them stock.
const skus = 100

func skuName(i int) string { return fmt.Sprintf("BENCH-%03d", i) }

// authorization is the header of the benchmark's requests: an operator's
// token (it places orders for any customer) under the development key,
// which the services it starts accept (serviceEnv sets AUTH_DEV_MODE).
var authorization = func() string {
	token, err := httpauth.Development().Issue(httpauth.Principal{Subject: "bench", Role: httpauth.RoleOperator}, 48*time.Hour)
	if err != nil {
		panic(err) // a constant principal and key
	}
	return "Bearer " + token
}()

// placer places valid orders on the API at base over keep-alive
// connections.
type placer struct {
	base   string
	client *http.Client
}

func newPlacer(base string, conns int) *placer {
	transport := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute}
	return &placer{base: base, client: &http.Client{Transport: transport, Timeout: 30 * time.Second}}
}

func (p *placer) close() { p.client.CloseIdleConnections() }

// orderBody is a valid order of two lines from the catalogue.
func orderBody() []byte {
	a, b := rand.IntN(skus), rand.IntN(skus)
	return fmt.Appendf(nil, `{"customer_id":"c-%d","currency":"EUR","items":[`+
		`{"sku":%q,"quantity":1,"unit_price":1299},{"sku":%q,"quantity":2,"unit_price":450}]}`,
		rand.IntN(1000), skuName(a), skuName(b))
}

// place places one order and returns its ID; anything but 201 is an error.
func (p *placer) place(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/orders", bytes.NewReader(orderBody()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", authorization)
	resp, err := p.client.Do(req)
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("POST /orders: %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	return strings.TrimPrefix(resp.Header.Get("Location"), "/orders/"), nil
}

// loadResult is what a closed-loop run measured.
type loadResult struct {
	Orders    int
	Errors    int
	FirstErr  string
	Elapsed   time.Duration
	Latencies []time.Duration // of the successful requests
	// Background is the share of the machine other processes used.
	Background float64
}

func (r loadResult) rate() float64 { return float64(r.Orders) / r.Elapsed.Seconds() }

// closedLoop runs clients that each place orders one after another for d.
func closedLoop(ctx context.Context, p *placer, clients int, d time.Duration) loadResult {
	var (
		mu       sync.Mutex
		res      loadResult
		firstErr atomic.Value
		wg       sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			errs := 0
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(deadline) {
					break
				}
				if _, err := p.place(ctx); err != nil {
					errs++
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			res.Latencies = append(res.Latencies, lat...)
			res.Errors += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Orders = len(res.Latencies)
	if s, ok := firstErr.Load().(string); ok {
		res.FirstErr = s
	}
	return res
}

// placement is one order of an open-loop run: when the request was sent
// and when its 201 arrived (after the commit).
type placement struct {
	ID         string
	Sent, Done time.Time
}

// openLoop places orders at rate per second for d, each on schedule
// whether or not the earlier ones have been answered.
func openLoop(ctx context.Context, p *placer, rate float64, d time.Duration) ([]placement, int, string) {
	var (
		mu       sync.Mutex
		placed   []placement
		errs     int
		firstErr string
		wg       sync.WaitGroup
	)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for i := 0; ctx.Err() == nil; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) >= d {
			break
		}
		time.Sleep(time.Until(at))
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent := time.Now()
			id, err := p.place(ctx)
			done := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if errs == 0 {
					firstErr = err.Error()
				}
				errs++
				return
			}
			placed = append(placed, placement{ID: id, Sent: sent, Done: done})
		}()
	}
	wg.Wait()
	return placed, errs, firstErr
}
