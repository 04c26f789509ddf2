package systemtest

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/ports/httpauth"
)

// TestOperatorAPIsAnswerWithProblems checks the inventory's and the payment
// service's APIs against their OpenAPI documents, errors included.
func TestOperatorAPIsAnswerWithProblems(t *testing.T) {
	t.Parallel()
	s := startInProcess(t, options{})
	stockURL := s.InventoryURL + "/inventory/stock/"

	if st := call(t, s.inventoryClient, http.MethodGet, stockURL+"NEVER-STOCKED", nil, nil, nil); st != http.StatusNotFound {
		t.Errorf("unknown SKU: status %d, want 404", st)
	}
	for name, tc := range map[string]struct {
		body any
		want int
	}{
		"negative":      {map[string]int64{"on_hand": -1}, http.StatusUnprocessableEntity},
		"too many":      {map[string]int64{"on_hand": 2_000_000_000}, http.StatusUnprocessableEntity},
		"missing":       {map[string]string{}, http.StatusUnprocessableEntity},
		"not a number":  {map[string]string{"on_hand": "ten"}, http.StatusBadRequest},
		"unknown field": {map[string]int64{"on_hand": 1, "reserved": 1}, http.StatusBadRequest},
	} {
		if st := call(t, s.inventoryClient, http.MethodPut, stockURL+"BOOK", nil, tc.body, nil); st != tc.want {
			t.Errorf("PUT %s: status %d, want %d", name, st, tc.want)
		}
	}
	req, _ := http.NewRequest(http.MethodPut, stockURL+"BOOK", bytes.NewReader([]byte("5")))
	req.Header.Set("Content-Type", "text/plain")
	if resp, err := s.inventoryClient.Do(req); err != nil || resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("PUT text/plain: %v, %v", resp, err)
	} else {
		_ = resp.Body.Close()
	}

	// Stock held by an order cannot be counted away.
	s.setStock(t, "BOOK", 3)
	var o orderJSON
	if st := call(t, s.client, http.MethodPost, s.OrdersURL+"/orders", nil,
		map[string]any{"customer_id": "c", "currency": "EUR", "items": []line{{"BOOK", 2, 100}}}, &o); st != http.StatusCreated {
		t.Fatalf("place: status %d", st)
	}
	s.waitForStatus(t, o.ID, "confirmed")
	if st := call(t, s.inventoryClient, http.MethodPut, stockURL+"BOOK", nil, map[string]int64{"on_hand": 1}, nil); st != http.StatusConflict {
		t.Errorf("PUT below the reserved units: status %d, want 409", st)
	}
	if got := s.stock(t, "BOOK"); got.OnHand != 3 || got.Reserved != 2 || got.Available != 1 {
		t.Errorf("stock = %+v", got)
	}

	// Operators only: no token is a 401, a customer's a 403.
	customer := "Bearer " + testenv.Token(t, "c", httpauth.RoleCustomer)
	for _, r := range []struct {
		client      *http.Client
		method, url string
	}{
		{s.inventoryClient, http.MethodGet, stockURL + "BOOK"},
		{s.inventoryClient, http.MethodPut, stockURL + "BOOK"},
		{s.paymentsClient, http.MethodGet, s.PaymentsURL + "/payments?order_id=" + o.ID},
	} {
		if st := call(t, r.client, r.method, r.url, map[string]string{"Authorization": ""}, map[string]int64{"on_hand": 9}, nil); st != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: status %d, want 401", r.method, r.url, st)
		}
		if st := call(t, r.client, r.method, r.url, map[string]string{"Authorization": customer}, map[string]int64{"on_hand": 9}, nil); st != http.StatusForbidden {
			t.Errorf("%s %s with a customer's token: status %d, want 403", r.method, r.url, st)
		}
	}
	if got := s.stock(t, "BOOK"); got.OnHand != 3 {
		t.Errorf("refused requests changed the stock: %+v", got)
	}

	if st := call(t, s.paymentsClient, http.MethodGet, s.PaymentsURL+"/payments", nil, nil, nil); st != http.StatusBadRequest {
		t.Errorf("GET /payments without order_id: status %d, want 400", st)
	}
	for _, id := range []string{uuid.NewString(), "not-a-uuid"} {
		if got := s.payments(t, id); len(got) != 0 {
			t.Errorf("payments of %s: %+v, want none", id, got)
		}
	}
	if got := s.payments(t, o.ID); len(got) != 1 || got[0].Status != "captured" || got[0].Amount != 200 {
		t.Errorf("payments of the order: %+v", got)
	}
}
