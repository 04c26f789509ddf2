// This file is a little over 250 lines: it holds the order routes' handlers
// side by side, each a few lines that map a request to one command or query.

package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orders/app/command"
	"github.com/orderflow/orders/app/query"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/ports/internal/httpio"
)

type placeOrderRequest struct {
	CustomerID string             `json:"customer_id"`
	Currency   string             `json:"currency"`
	Items      []placeOrderItemIn `json:"items"`
}

type placeOrderItemIn struct {
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
}

type cancelOrderRequest struct {
	Reason string `json:"reason"`
}

func (s *server) placeOrder(w http.ResponseWriter, r *http.Request) {
	key, err := idempotencyKey(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req placeOrderRequest
	if err := httpio.DecodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}

	in := order.PlaceInput{CustomerID: req.CustomerID, Currency: req.Currency, Items: make([]order.ItemInput, len(req.Items))}
	for i, it := range req.Items {
		in.Items[i] = order.ItemInput(it)
	}
	result, err := s.app.Commands.PlaceOrder.Handle(r.Context(), command.PlaceOrder{
		OrderID:        order.ID(uuid.NewString()),
		Order:          in,
		IdempotencyKey: key,
	})
	if err != nil {
		writeError(w, r, err)
		return
	}

	placed, err := s.orderAfterPlacing(r, result)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/orders/"+placed.ID)
	if result.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeOrder(w, http.StatusCreated, placed)
}

func (s *server) getOrder(w http.ResponseWriter, r *http.Request) {
	o, err := s.app.Queries.GetOrder.Handle(r.Context(), query.GetOrder{OrderID: order.ID(r.PathValue("id"))})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeOrder(w, http.StatusOK, o)
}

func (s *server) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 0
	if raw := q.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			writeError(w, r, httpio.InvalidParameter("limit", "must be an integer between 1 and "+strconv.Itoa(query.MaxPageSize)))
			return
		}
		limit = n
	}
	page, err := s.app.Queries.CustomerOrders.Handle(r.Context(), query.CustomerOrders{
		CustomerID: q.Get("customer_id"),
		Limit:      limit,
		Cursor:     q.Get("cursor"),
	})
	if err != nil {
		writeError(w, r, err)
		return
	}
	resp := orderPageResponse{Orders: make([]orderResponse, len(page.Orders)), NextCursor: page.NextCursor}
	for i, o := range page.Orders {
		resp.Orders[i] = toOrderResponse(o)
	}
	httpio.WriteJSON(w, http.StatusOK, resp)
}

func (s *server) orderEvents(w http.ResponseWriter, r *http.Request) {
	events, err := s.app.Queries.OrderEvents.Handle(r.Context(), query.OrderEvents{OrderID: order.ID(r.PathValue("id"))})
	if err != nil {
		writeError(w, r, err)
		return
	}
	resp := orderEventsResponse{OrderID: r.PathValue("id"), Events: make([]eventResponse, len(events))}
	for i, e := range events {
		resp.Events[i] = eventResponse{
			EventID: e.EventID, EventType: e.Type, SchemaVersion: e.SchemaVersion,
			Version: e.Version, OccurredAt: e.OccurredAt, Data: e.Data,
		}
	}
	httpio.WriteJSON(w, http.StatusOK, resp)
}

func (s *server) cancelOrder(w http.ResponseWriter, r *http.Request) {
	expected, err := ifMatchVersion(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var req cancelOrderRequest
	if err := httpio.DecodeOptionalJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	id := order.ID(r.PathValue("id"))
	err = s.app.Commands.CancelOrder.Handle(r.Context(), command.CancelOrder{OrderID: id, Reason: req.Reason, ExpectedVersion: expected})
	s.respondWithOrder(w, r, id, err)
}

func (s *server) shipOrder(w http.ResponseWriter, r *http.Request) {
	expected, err := ifMatchVersion(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	id := order.ID(r.PathValue("id"))
	err = s.app.Commands.ShipOrder.Handle(r.Context(), command.ShipOrder{OrderID: id, ExpectedVersion: expected})
	s.respondWithOrder(w, r, id, err)
}

// respondWithOrder answers a command on an existing order with the order
// as it now stands.
func (s *server) respondWithOrder(w http.ResponseWriter, r *http.Request, id order.ID, cmdErr error) {
	if cmdErr != nil {
		writeError(w, r, cmdErr)
		return
	}
	o, err := s.app.Queries.GetOrder.Handle(r.Context(), query.GetOrder{OrderID: id})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeOrder(w, http.StatusOK, o)
}

// maxIdempotencyKeyLength bounds the Idempotency-Key header.
const maxIdempotencyKeyLength = 255

func idempotencyKey(r *http.Request) (string, error) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > maxIdempotencyKeyLength {
		return "", httpio.InvalidHeader("Idempotency-Key", "must be at most 255 characters")
	}
	for _, c := range key {
		if c < 0x21 || c > 0x7e {
			return "", httpio.InvalidHeader("Idempotency-Key", "must be printable ASCII without spaces")
		}
	}
	return key, nil
}

// ifMatchVersion reads an If-Match header holding the order version the
// client saw, as the ETag of an order response carries it ("3" or W/"3").
// Zero means no precondition.
func ifMatchVersion(r *http.Request) (int, error) {
	raw := strings.TrimSpace(r.Header.Get("If-Match"))
	if raw == "" || raw == "*" {
		return 0, nil
	}
	v, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(raw, "W/"), `"`))
	if err != nil || v < 1 {
		return 0, httpio.InvalidHeader("If-Match", `must be the order's ETag, a version such as "3"`)
	}
	return v, nil
}

func writeOrder(w http.ResponseWriter, status int, o query.Order) {
	w.Header().Set("ETag", strconv.Quote(strconv.Itoa(o.Version)))
	httpio.WriteJSON(w, status, toOrderResponse(o))
}

type orderResponse struct {
	ID           string              `json:"id"`
	Status       string              `json:"status"`
	CustomerID   string              `json:"customer_id"`
	Currency     string              `json:"currency"`
	Items        []orderItemResponse `json:"items"`
	Total        int64               `json:"total"`
	Version      int                 `json:"version"`
	CancelReason string              `json:"cancel_reason,omitempty"`
	CancelDetail string              `json:"cancel_detail,omitempty"`
	PaymentID    string              `json:"payment_id,omitempty"`
	PlacedAt     time.Time           `json:"placed_at"`
	UpdatedAt    time.Time           `json:"updated_at"`
}

type orderItemResponse struct {
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
	Subtotal  int64  `json:"subtotal"`
}

type orderPageResponse struct {
	Orders     []orderResponse `json:"orders"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

type orderEventsResponse struct {
	OrderID string          `json:"order_id"`
	Events  []eventResponse `json:"events"`
}

type eventResponse struct {
	EventID       string          `json:"event_id"`
	EventType     string          `json:"event_type"`
	SchemaVersion int             `json:"schema_version"`
	Version       int             `json:"version"`
	OccurredAt    time.Time       `json:"occurred_at"`
	Data          json.RawMessage `json:"data"`
}

func toOrderResponse(o query.Order) orderResponse {
	items := make([]orderItemResponse, len(o.Items))
	for i, it := range o.Items {
		items[i] = orderItemResponse(it)
	}
	return orderResponse{
		ID: o.ID, Status: o.Status, CustomerID: o.CustomerID, Currency: o.Currency, Items: items,
		Total: o.Total, Version: o.Version, CancelReason: o.CancelReason, CancelDetail: o.CancelDetail,
		PaymentID: o.PaymentID, PlacedAt: o.PlacedAt, UpdatedAt: o.UpdatedAt,
	}
}
