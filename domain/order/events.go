package order

import "time"

// Event is a fact about one order. The set of concrete types is closed:
// every one is listed here and handled by (*Order).apply.
type Event interface {
	EventType() string
}

// Event type names. They are the stable names on the wire and in the store:
// renaming one is a breaking change for every consumer.
const (
	OrderPlacedType = "OrderPlaced"
)

// RecordedEvent is an event with its place in the order's stream.
type RecordedEvent struct {
	Version    int
	OccurredAt time.Time
	Event      Event
}

// OrderPlaced: a customer placed an order.
type OrderPlaced struct {
	CustomerID string      `json:"customer_id"`
	Currency   Currency    `json:"currency"`
	Items      []EventItem `json:"items"`
	Total      int64       `json:"total"`
}

// EventItem is a line item as carried in events.
type EventItem struct {
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
}

func (OrderPlaced) EventType() string { return OrderPlacedType }
