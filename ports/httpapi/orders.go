package httpapi

import (
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/app/order/query"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/ports/internal/httpio"
)

type placeOrderRequest struct {
	CustomerID *string            `json:"customer_id"` // nil: the token's subject
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

	if req.CustomerID != nil && *req.CustomerID == "" { // present but empty: not "the token's"
		writeError(w, r, &httpio.RequestError{Problem: httpio.Problem{Type: httpio.TypeValidation, Title: "The order is invalid",
			Status: http.StatusUnprocessableEntity, Detail: "customer_id must not be empty; leave it out to place for yourself"}})
		return
	}
	customer, err := placingCustomer(r, deref(req.CustomerID))
	if err != nil {
		writeError(w, r, err)
		return
	}
	in := order.PlaceInput{CustomerID: customer, Currency: req.Currency, Items: make([]order.ItemInput, len(req.Items))}
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
	if err == nil && !mayRead(r, o) {
		err = order.ErrNotFound // another customer's order: as if there were none
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeOrder(w, http.StatusOK, o)
}

func (s *server) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 0
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 {
			writeError(w, r, httpio.InvalidParameter("limit", "must be an integer between 1 and "+strconv.Itoa(query.MaxPageSize)))
			return
		}
		limit = n
	}
	if q.Has("customer_id") && q.Get("customer_id") == "" { // present but empty: not "my own"
		writeError(w, r, httpio.InvalidParameter("customer_id", "must not be empty; leave it out to list your own orders"))
		return
	}
	customer, err := listingCustomer(r, q.Get("customer_id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	page, err := s.app.Queries.CustomerOrders.Handle(r.Context(), query.CustomerOrders{
		CustomerID: customer,
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
	if err := s.checkOwner(r, order.ID(r.PathValue("id"))); err != nil {
		writeError(w, r, err)
		return
	}
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
	id := order.ID(r.PathValue("id"))
	var req cancelOrderRequest
	if err := httpio.DecodeOptionalJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}
	if err := order.CheckCancelDetail(req.Reason); err != nil { // a bad request before any precondition
		writeError(w, r, err)
		return
	}
	if err := s.checkOwner(r, id); err != nil {
		writeError(w, r, err)
		return
	}
	expected, err := s.ifMatchVersion(r, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	err = s.app.Commands.CancelOrder.Handle(r.Context(), command.CancelOrder{OrderID: id, Reason: req.Reason, ExpectedVersion: expected})
	s.respondWithOrder(w, r, id, preconditionChecked(expected, err))
}

func (s *server) shipOrder(w http.ResponseWriter, r *http.Request) {
	if !requireOperator(w, r) {
		return
	}
	id := order.ID(r.PathValue("id"))
	expected, err := s.ifMatchVersion(r, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	err = s.app.Commands.ShipOrder.Handle(r.Context(), command.ShipOrder{OrderID: id, ExpectedVersion: expected})
	s.respondWithOrder(w, r, id, preconditionChecked(expected, err))
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
	if key == "" && len(r.Header.Values("Idempotency-Key")) > 0 {
		return "", httpio.InvalidHeader("Idempotency-Key", "must not be empty; leave the header out instead")
	}
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
