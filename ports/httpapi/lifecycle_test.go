package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/domain/order"
)

// confirm moves an order to confirmed the way the saga does.
func (a *testAPI) confirm(t *testing.T, id string) {
	t.Helper()
	ctx := context.Background()
	if err := a.App.Commands.RecordStockReservation.Handle(ctx, command.RecordStockReservation{OrderID: order.ID(id), Reserved: true}); err != nil {
		t.Fatal(err)
	}
	if err := a.App.Commands.RecordPayment.Handle(ctx, command.RecordPayment{
		OrderID: order.ID(id), Captured: true, PaymentID: "pay-1", Amount: order.NewMoney(2748, "EUR"),
	}); err != nil {
		t.Fatal(err)
	}
}

func TestCancelBeforeShipping(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		placed := api.placeOrder(t, validOrder)

		resp := api.post(t, "/orders/"+placed.ID+"/cancel", `{"reason": "found it cheaper"}`)

		if resp.StatusCode != http.StatusOK {
			t.Fatalf("cancel: status %d, want 200", resp.StatusCode)
		}
		got := decode[orderJSON](t, resp)
		if got.Status != "cancelled" || got.CancelReason != "customer_request" || got.CancelDetail != "found it cheaper" || got.Version != 2 {
			t.Errorf("cancelled order = %+v", got)
		}

		again := api.do(t, http.MethodPost, "/orders/"+placed.ID+"/cancel", "", "", nil)
		expectProblem(t, again, 409, "urn:orders:problem:illegal-transition")
	})
}

func TestShipAConfirmedOrderThenNoCancel(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		placed := api.placeOrder(t, validOrder)

		expectProblem(t, api.do(t, http.MethodPost, "/orders/"+placed.ID+"/ship", "", "", nil), 409, "urn:orders:problem:illegal-transition")

		api.confirm(t, placed.ID)
		resp := api.do(t, http.MethodPost, "/orders/"+placed.ID+"/ship", "", "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("ship: status %d, want 200", resp.StatusCode)
		}
		if got := decode[orderJSON](t, resp); got.Status != "shipped" || got.Version != 5 {
			t.Errorf("shipped order = %+v", got)
		}

		expectProblem(t, api.do(t, http.MethodPost, "/orders/"+placed.ID+"/cancel", "", "", nil), 409, "urn:orders:problem:illegal-transition")
	})
}

func TestIfMatchGuardsAgainstStaleDecisions(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		placed := api.placeOrder(t, validOrder)
		api.confirm(t, placed.ID) // version 4 now; the client still holds "1"

		stale := api.do(t, http.MethodPost, "/orders/"+placed.ID+"/cancel", "", "", map[string]string{"If-Match": `"1"`})
		expectProblem(t, stale, 412, "urn:orders:problem:version-conflict")

		bad := api.do(t, http.MethodPost, "/orders/"+placed.ID+"/cancel", "", "", map[string]string{"If-Match": `one`})
		expectProblem(t, bad, 412, "urn:orders:problem:version-conflict")

		fresh := api.do(t, http.MethodPost, "/orders/"+placed.ID+"/ship", "", "", map[string]string{"If-Match": `"4"`})
		if fresh.StatusCode != http.StatusOK {
			t.Errorf("ship with the current ETag: status %d, want 200", fresh.StatusCode)
		}
	})
}

func TestCancelRejectsBadBodies(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		placed := api.placeOrder(t, validOrder)

		expectProblem(t, api.post(t, "/orders/"+placed.ID+"/cancel", `{"reason": 5}`), 400, "urn:orders:problem:malformed-request")
		expectProblem(t, api.post(t, "/orders/"+placed.ID+"/cancel", `{"why": "x"}`), 400, "urn:orders:problem:malformed-request")
		expectProblem(t, api.do(t, http.MethodPost, "/orders/"+placed.ID+"/cancel", "text/plain", "x", nil), 415, "urn:orders:problem:unsupported-media-type")

		if got := decode[orderJSON](t, api.get(t, "/orders/"+placed.ID)); got.Status != "placed" || got.Version != 1 {
			t.Errorf("after bad cancels the order is %s at version %d, want placed at 1", got.Status, got.Version)
		}
	})
}

func TestOrderEventsInVersionOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		placed := api.placeOrder(t, validOrder)
		api.confirm(t, placed.ID)

		resp := api.get(t, "/orders/"+placed.ID+"/events")

		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		body := decode[struct {
			OrderID string `json:"order_id"`
			Events  []struct {
				EventID       string `json:"event_id"`
				EventType     string `json:"event_type"`
				SchemaVersion int    `json:"schema_version"`
				Version       int    `json:"version"`
			} `json:"events"`
		}](t, resp)
		want := []string{"OrderPlaced", "OrderStockReserved", "OrderPaymentCaptured", "OrderConfirmed"}
		if body.OrderID != placed.ID || len(body.Events) != len(want) {
			t.Fatalf("events = %+v, want %v", body, want)
		}
		for i, e := range body.Events {
			if e.EventType != want[i] || e.Version != i+1 || e.EventID == "" || e.SchemaVersion < 1 {
				t.Errorf("event %d = %+v, want %s at version %d", i, e, want[i], i+1)
			}
		}
	})
}

func TestListCustomerOrdersPageByPage(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {
		var placed []string
		for i := range 5 {
			o := api.placeOrder(t, fmt.Sprintf(`{"customer_id": "pager", "currency": "EUR", "items": [{"sku": "S-%d", "quantity": 1, "unit_price": 100}]}`, i))
			placed = append(placed, o.ID)
		}
		api.placeOrder(t, `{"customer_id": "someone-else", "currency": "EUR", "items": [{"sku": "X", "quantity": 1, "unit_price": 1}]}`)

		var seen []string
		cursor := ""
		for page := 0; ; page++ {
			if page > 5 {
				t.Fatal("pagination does not end")
			}
			resp := api.get(t, "/orders?customer_id=pager&limit=2&cursor="+cursor)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("page %d: status %d", page, resp.StatusCode)
			}
			body := decode[struct {
				Orders     []orderJSON `json:"orders"`
				NextCursor string      `json:"next_cursor"`
			}](t, resp)
			for _, o := range body.Orders {
				seen = append(seen, o.ID)
			}
			if body.NextCursor == "" {
				break
			}
			cursor = body.NextCursor
		}

		if len(seen) != len(placed) {
			t.Fatalf("listed %d orders, want %d", len(seen), len(placed))
		}
		for i := range seen { // newest first
			if seen[i] != placed[len(placed)-1-i] {
				t.Errorf("position %d: %s, want %s", i, seen[i], placed[len(placed)-1-i])
			}
		}
	})
}

func TestListRejectsBadParameters(t *testing.T) {
	eachBackend(t, func(t *testing.T, api *testAPI) {

		for _, path := range []string{
			"/orders",
			"/orders?customer_id=c&limit=0",
			"/orders?customer_id=c&limit=101",
			"/orders?customer_id=c&limit=ten",
			"/orders?customer_id=c&cursor=garbage",
		} {
			t.Run(path, func(t *testing.T) {
				expectProblem(t, api.get(t, path), 400, "urn:orders:problem:invalid-parameter")
			})
		}
	})
}
