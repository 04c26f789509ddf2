package order

import "time"

// Event is a fact about one order. The set of concrete types is closed:
// every one is listed here and handled by (*Order).apply. The unexported
// method seals the interface, so no type outside this package is an Event
// and apply's switch stays the whole list.
type Event interface {
	EventType() string
	isOrderEvent()
}

// Event type names: the stable names on the wire and in the store.
// Renaming one is a breaking change for every consumer.
const (
	OrderPlacedType          = "OrderPlaced"
	OrderStockReservedType   = "OrderStockReserved"
	OrderStockRejectedType   = "OrderStockRejected"
	OrderPaymentCapturedType = "OrderPaymentCaptured"
	OrderPaymentDeclinedType = "OrderPaymentDeclined"
	OrderConfirmedType       = "OrderConfirmed"
	OrderCancelledType       = "OrderCancelled"
	OrderShippedType         = "OrderShipped"
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

// EventItem is a line item as carried in events. Subtotal is quantity ×
// unit price, computed once by the domain so consumers need not.
type EventItem struct {
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
	Subtotal  int64  `json:"subtotal"`
}

// OrderStockReserved: the inventory holds every line of the order, and
// its total is to be charged: the event carries it, so that the payment
// service needs no earlier event to charge. Stored before the total was
// added, it reads as zero, which the order never reads back.
type OrderStockReserved struct {
	Currency Currency `json:"currency"`
	Total    int64    `json:"total"`
}

// OrderStockRejected: the inventory could not hold every line.
type OrderStockRejected struct {
	Reason string `json:"reason"`
}

// OrderPaymentCaptured: the order's total was charged.
type OrderPaymentCaptured struct {
	PaymentID string `json:"payment_id"`
	Amount    int64  `json:"amount"`
}

// OrderPaymentDeclined: the charge was refused.
type OrderPaymentDeclined struct {
	Reason string `json:"reason"`
}

// OrderConfirmed: stock is reserved and the payment captured.
type OrderConfirmed struct{}

// OrderCancelled: the order will not be fulfilled. Downstream services
// compensate: the inventory releases held stock, the payment service
// refunds a captured charge.
type OrderCancelled struct {
	Reason CancelReason `json:"reason"`
	Detail string       `json:"detail,omitempty"`
}

// OrderShipped: the order left the warehouse.
type OrderShipped struct{}

func (OrderPlaced) EventType() string          { return OrderPlacedType }
func (OrderStockReserved) EventType() string   { return OrderStockReservedType }
func (OrderStockRejected) EventType() string   { return OrderStockRejectedType }
func (OrderPaymentCaptured) EventType() string { return OrderPaymentCapturedType }
func (OrderPaymentDeclined) EventType() string { return OrderPaymentDeclinedType }
func (OrderConfirmed) EventType() string       { return OrderConfirmedType }
func (OrderCancelled) EventType() string       { return OrderCancelledType }
func (OrderShipped) EventType() string         { return OrderShippedType }

func (OrderPlaced) isOrderEvent()          {}
func (OrderStockReserved) isOrderEvent()   {}
func (OrderStockRejected) isOrderEvent()   {}
func (OrderPaymentCaptured) isOrderEvent() {}
func (OrderPaymentDeclined) isOrderEvent() {}
func (OrderConfirmed) isOrderEvent()       {}
func (OrderCancelled) isOrderEvent()       {}
func (OrderShipped) isOrderEvent()         {}
