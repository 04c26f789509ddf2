package order

// Status is where an order stands in its lifecycle.
type Status string

const (
	// StatusPlaced: accepted, waiting for stock and payment.
	StatusPlaced Status = "placed"
)

func (s Status) String() string { return string(s) }
