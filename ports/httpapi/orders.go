package httpapi

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orders/app/command"
	"github.com/orderflow/orders/app/query"
	"github.com/orderflow/orders/domain/order"
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

type orderResponse struct {
	ID         string              `json:"id"`
	Status     string              `json:"status"`
	CustomerID string              `json:"customer_id"`
	Currency   string              `json:"currency"`
	Items      []orderItemResponse `json:"items"`
	Total      int64               `json:"total"`
	Version    int                 `json:"version"`
	PlacedAt   time.Time           `json:"placed_at"`
	UpdatedAt  time.Time           `json:"updated_at"`
}

type orderItemResponse struct {
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
}

func (s *server) placeOrder(w http.ResponseWriter, r *http.Request) {
	var req placeOrderRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, err)
		return
	}

	id := order.ID(uuid.NewString())
	in := order.PlaceInput{CustomerID: req.CustomerID, Currency: req.Currency, Items: make([]order.ItemInput, len(req.Items))}
	for i, it := range req.Items {
		in.Items[i] = order.ItemInput(it)
	}
	if err := s.app.Commands.PlaceOrder.Handle(r.Context(), command.PlaceOrder{OrderID: id, Order: in}); err != nil {
		writeError(w, r, err)
		return
	}

	placed, err := s.app.Queries.GetOrder.Handle(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/orders/"+placed.ID)
	writeJSON(w, http.StatusCreated, toOrderResponse(placed))
}

func (s *server) getOrder(w http.ResponseWriter, r *http.Request) {
	o, err := s.app.Queries.GetOrder.Handle(r.Context(), order.ID(r.PathValue("id")))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toOrderResponse(o))
}

func toOrderResponse(o query.Order) orderResponse {
	items := make([]orderItemResponse, len(o.Items))
	for i, it := range o.Items {
		items[i] = orderItemResponse(it)
	}
	return orderResponse{
		ID: o.ID, Status: o.Status, CustomerID: o.CustomerID, Currency: o.Currency, Items: items,
		Total: o.Total, Version: o.Version, PlacedAt: o.PlacedAt, UpdatedAt: o.UpdatedAt,
	}
}
