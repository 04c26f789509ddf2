package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/orderflow/orders/app/order/query"
	"github.com/orderflow/orders/ports/internal/httpio"
)

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

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
