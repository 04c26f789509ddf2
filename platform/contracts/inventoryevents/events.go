// Package inventoryevents is the published contract of the inventory
// service: the events it publishes on its Kafka topic about each order's
// stock reservation, their type names and schema version, and the codec
// between an event and its envelope. The types are the contract's own,
// not the inventory domain's.
package inventoryevents

// Event is one of the inventory's published events. The set is closed:
// every type is listed in this file.
type Event interface {
	EventType() string
	inventoryEvent()
}

// Event type names on the wire. Renaming one breaks consumers.
const (
	StockReservedType  = "StockReserved"
	StockRejectedType  = "StockRejected"
	StockReleasedType  = "StockReleased"
	StockCommittedType = "StockCommitted"
)

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

func (StockReserved) inventoryEvent()  {}
func (StockRejected) inventoryEvent()  {}
func (StockReleased) inventoryEvent()  {}
func (StockCommitted) inventoryEvent() {}
