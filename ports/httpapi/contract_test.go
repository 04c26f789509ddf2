package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// The cases schemathesis found: client mistakes are 4xx, never a 500 that
// says "retry", and what the document allows is accepted.

func TestTextThePostgreSQLStoreCannotHoldIsRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		expectProblem(t, api.post(t, "/orders", `{"customer_id": "c\u0000", "currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": 1}]}`),
			422, "urn:orders:problem:validation")
		expectProblem(t, api.post(t, "/orders", `{"customer_id": "c", "currency": "EUR", "items": [{"sku": "A\u0000", "quantity": 1, "unit_price": 1}]}`),
			422, "urn:orders:problem:validation")
		expectProblem(t, api.post(t, "/orders", `{"customer_id": "  ", "currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": 1}]}`),
			422, "urn:orders:problem:validation")
		expectProblem(t, api.get(t, "/orders?customer_id=%00"), 400, "urn:orders:problem:invalid-parameter")

		placed := api.placeOrder(t, validOrder)
		expectProblem(t, api.post(t, "/orders/"+placed.ID+"/cancel", `{"reason": "x\u0000y"}`), 422, "urn:orders:problem:validation")
		expectProblem(t, api.post(t, "/orders/"+placed.ID+"/cancel", `{"reason": "`+strings.Repeat("r", 501)+`"}`), 422, "urn:orders:problem:validation")
		if got := decode[orderJSON](t, api.get(t, "/orders/"+placed.ID)); got.Status != "placed" {
			t.Errorf("after refused cancels the order is %s, want placed", got.Status)
		}
	})
}

func TestOnlyTheCanonicalIDNamesAnOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		placed := api.placeOrder(t, validOrder)
		for _, id := range []string{
			"urn:uuid:" + placed.ID,
			"%7B" + placed.ID + "%7D",
			strings.ReplaceAll(placed.ID, "-", ""),
			strings.ToUpper(placed.ID),
		} {
			expectProblem(t, api.get(t, "/orders/"+id), 404, "urn:orders:problem:not-found")
			expectProblem(t, api.get(t, "/orders/"+id+"/events"), 404, "urn:orders:problem:not-found")
			expectProblem(t, api.post(t, "/orders/"+id+"/cancel", `{}`), 404, "urn:orders:problem:not-found")
		}
	})
}

func TestIfMatchFollowsRFC9110(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		placed := api.placeOrder(t, validOrder) // version 1
		cancel := func(ifMatch string) *http.Response {
			return api.do(t, http.MethodPost, "/orders/"+placed.ID+"/cancel", "", "", map[string]string{"If-Match": ifMatch})
		}
		for _, never := range []string{`W/"1"`, `"H?KQ41"`, `""`, `"01"`, `"2", W/"1"`, `1`, `"1`, `W/1`, `"1" "2"`, ``} {
			expectProblem(t, cancel(never), 412, "urn:orders:problem:version-conflict")
		}
		if resp := cancel(`"7", W/"1", "1"`); resp.StatusCode != http.StatusOK {
			t.Errorf("If-Match listing the current version: status %d, want 200", resp.StatusCode)
		}
	})
}

func TestEveryCursorOfTheDocumentIsAPosition(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		api.placeOrder(t, validOrder)
		for _, cursor := range []string{"0.00000000000000000000000000000000", "9999999999999999.ffffffffffffffffffffffffffffffff"} {
			if resp := api.get(t, "/orders?customer_id=c-1&cursor="+cursor); resp.StatusCode != http.StatusOK {
				t.Errorf("cursor %s: status %d, want 200", cursor, resp.StatusCode)
			}
		}
	})
}

func TestEmptyIdempotencyKeyIsRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		resp := api.do(t, http.MethodPost, "/orders", "application/json", validOrder, map[string]string{"Idempotency-Key": ""})
		expectProblem(t, resp, 400, "urn:orders:problem:invalid-header")
	})
}

func TestNullsAndMissingPricesAreRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		for _, body := range []string{
			`{"customer_id": "c", "currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": null}]}`,
			`{"customer_id": "c", "currency": "EUR", "items": [{"sku": "A", "quantity": 1}]}`,
			`{"customer_id": null, "currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": 1}]}`,
			`{"customer_id": "c", "currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": 1, "extra": 1}]}`,
		} {
			expectProblem(t, api.post(t, "/orders", body), 400, "urn:orders:problem:malformed-request")
		}
		expectProblem(t, api.get(t, "/orders?customer_id=c&limit="), 400, "urn:orders:problem:invalid-parameter")
	})
}

func TestABadReasonIsRefusedBeforeAnyPrecondition(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		placed := api.placeOrder(t, validOrder)
		resp := api.do(t, http.MethodPost, "/orders/"+placed.ID+"/cancel", "application/json", `{"reason": "a\u0000"}`, map[string]string{"If-Match": `"9"`})
		expectProblem(t, resp, 422, "urn:orders:problem:validation")
	})
}

func TestAnEmptyCustomerIDIsRefusedNotTakenAsTheTokens(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		expectProblem(t, api.get(t, "/orders?customer_id="), 400, "urn:orders:problem:invalid-parameter")
		expectProblem(t, api.post(t, "/orders", `{"customer_id": "", "currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": 1}]}`),
			422, "urn:orders:problem:validation")
	})
}
