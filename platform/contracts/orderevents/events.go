// Package orderevents is the published contract of the order service: the
// events it publishes on its Kafka topic, their type names and schema
// versions, the upcasters that read older versions, and the codec between
// an event and its envelope. The types are the contract's own, not the
// order domain's: the order service maps its domain events to them, and
// consumers map them to their own commands.
package orderevents

// Event is one of the order service's published events. The set is closed:
// every type is listed in this file.
type Event interface {
	EventType() string
	orderEvent()
}

// Event type names: the stable names on the wire. Renaming one is a
// breaking change for every consumer.
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

// OrderPlaced: a customer placed an order. Amounts are in the currency's
// minor units.
type OrderPlaced struct {
	CustomerID string `json:"customer_id"`
	Currency   string `json:"currency"`
	Items      []Item `json:"items"`
	Total      int64  `json:"total"`
}

// Item is one line of a placed order. Subtotal is quantity × unit price
// (since schema version 2), so consumers need not compute it.
type Item struct {
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
	Subtotal  int64  `json:"subtotal"`
}

// OrderStockReserved: the inventory holds every line of the order, and its
// total is to be charged (since schema version 2; a version 1 event reads
// with an empty currency and a zero total: unknown).
type OrderStockReserved struct {
	Currency string `json:"currency"`
	Total    int64  `json:"total"`
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

// OrderCancelled: the order will not be fulfilled; downstream services
// compensate. Reason is one of "customer_request", "out_of_stock",
// "payment_declined".
type OrderCancelled struct {
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
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

func (OrderPlaced) orderEvent()          {}
func (OrderStockReserved) orderEvent()   {}
func (OrderStockRejected) orderEvent()   {}
func (OrderPaymentCaptured) orderEvent() {}
func (OrderPaymentDeclined) orderEvent() {}
func (OrderConfirmed) orderEvent()       {}
func (OrderCancelled) orderEvent()       {}
func (OrderShipped) orderEvent()         {}
