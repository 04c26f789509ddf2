package httpapi_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestIdempotentRetryReturnsTheSameOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		key := map[string]string{"Idempotency-Key": "retry-1"}

		first := api.do(t, http.MethodPost, "/orders", "application/json", validOrder, key)
		retry := api.do(t, http.MethodPost, "/orders", "application/json", validOrder, key)

		if first.StatusCode != http.StatusCreated || retry.StatusCode != http.StatusCreated {
			t.Fatalf("statuses %d, %d; want 201 twice", first.StatusCode, retry.StatusCode)
		}
		a, b := decode[orderJSON](t, first), decode[orderJSON](t, retry)
		if a.ID != b.ID {
			t.Errorf("retry placed order %s, want the first one %s", b.ID, a.ID)
		}
		if retry.Header.Get("Idempotent-Replayed") != "true" || first.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("Idempotent-Replayed: first %q, retry %q", first.Header.Get("Idempotent-Replayed"), retry.Header.Get("Idempotent-Replayed"))
		}
		if events, orders, _ := api.countRows(t); events != 1 || orders != 1 {
			t.Errorf("%d events and %d orders, want 1 and 1", events, orders)
		}
	})
}

func TestIdempotencyKeyWithAnotherBodyIsRejected(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		key := map[string]string{"Idempotency-Key": "reused"}
		api.do(t, http.MethodPost, "/orders", "application/json", validOrder, key)

		other := `{"customer_id": "c-1", "currency": "EUR", "items": [{"sku": "BOOK", "quantity": 3, "unit_price": 1299}]}`
		resp := api.do(t, http.MethodPost, "/orders", "application/json", other, key)

		expectProblem(t, resp, 422, "urn:orders:problem:idempotency-key-reused")
		if events, _, _ := api.countRows(t); events != 1 {
			t.Errorf("%d events, want 1", events)
		}
	})
}

func TestInvalidIdempotencyKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		for _, key := range []string{"has space", strings.Repeat("k", 256)} {
			resp := api.do(t, http.MethodPost, "/orders", "application/json", validOrder, map[string]string{"Idempotency-Key": key})
			expectProblem(t, resp, 400, "urn:orders:problem:invalid-header")
		}
	})
}

// TestConcurrentIdenticalRequestsPlaceOneOrder sends 20 identical POSTs
// with one key at once: one order and one OrderPlaced, whatever each
// request was told (placed, replayed, or in progress).
func TestConcurrentIdenticalRequestsPlaceOneOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		const requests = 20
		key := map[string]string{"Idempotency-Key": "burst"}

		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			statuses = map[int]int{}
			ids      = map[string]bool{}
		)
		for range requests {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp := api.do(t, http.MethodPost, "/orders", "application/json", validOrder, key)
				mu.Lock()
				defer mu.Unlock()
				statuses[resp.StatusCode]++
				if resp.StatusCode == http.StatusCreated {
					ids[decode[orderJSON](t, resp).ID] = true
				}
			}()
		}
		wg.Wait()

		if statuses[http.StatusCreated]+statuses[http.StatusConflict] != requests || statuses[http.StatusCreated] == 0 {
			t.Errorf("statuses %v: want only 201 and 409, at least one 201", statuses)
		}
		if len(ids) != 1 {
			t.Errorf("201 responses name %d orders, want 1", len(ids))
		}
		if c := api.stored(t); c.orders != 1 || c.placed != 1 {
			t.Errorf("%d orders and %d OrderPlaced events, want 1 and 1", c.orders, c.placed)
		}
	})
}
