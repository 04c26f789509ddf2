package inventory

import "time"

// Event is a fact about one order's reservation, published on the
// inventory's topic. The set is closed: every type is listed here.
type Event interface {
	EventType() string
}

// Event type names on the wire. Renaming one breaks consumers.
const (
	StockReservedType  = "StockReserved"
	StockRejectedType  = "StockRejected"
	StockReleasedType  = "StockReleased"
	StockCommittedType = "StockCommitted"
)

// RecordedEvent is an event with the time it happened.
type RecordedEvent struct {
	OccurredAt time.Time
	Event      Event
}

// Line is so many units of a SKU.
type Line struct {
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
}

// Shortage is a line the stock could not cover.
type Shortage struct {
	SKU       string `json:"sku"`
	Requested int64  `json:"requested"`
	Available int64  `json:"available"`
}

// StockReserved: every line of the order is held.
type StockReserved struct {
	Lines []Line `json:"lines"`
}

// StockRejected: at least one line could not be held; nothing is.
type StockRejected struct {
	Reason    string     `json:"reason"`
	Shortages []Shortage `json:"shortages"`
}

// StockReleased: the order was cancelled; its held units are available again.
type StockReleased struct {
	Lines []Line `json:"lines"`
}

// StockCommitted: the order shipped; its units left the warehouse.
type StockCommitted struct {
	Lines []Line `json:"lines"`
}

func (StockReserved) EventType() string  { return StockReservedType }
func (StockRejected) EventType() string  { return StockRejectedType }
func (StockReleased) EventType() string  { return StockReleasedType }
func (StockCommitted) EventType() string { return StockCommittedType }
