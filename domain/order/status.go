package order

// Status is where an order stands in its lifecycle:
//
//	placed ──stock reserved──> stock_reserved ──payment captured──> confirmed ──> shipped
//	  │                            │                                   │
//	  └─ stock rejected / cancel ──┴─ payment declined / cancel ───────┴─ cancel ──> cancelled
type Status string

const (
	// StatusPlaced: accepted, waiting for the stock reservation.
	StatusPlaced Status = "placed"
	// StatusStockReserved: stock is held, waiting for the payment.
	StatusStockReserved Status = "stock_reserved"
	// StatusConfirmed: stock reserved and payment captured.
	StatusConfirmed Status = "confirmed"
	// StatusShipped: handed to the carrier; final.
	StatusShipped Status = "shipped"
	// StatusCancelled: cancelled with a reason; final.
	StatusCancelled Status = "cancelled"
)

func (s Status) String() string { return string(s) }

// IsFinal reports whether no further transition is possible.
func (s Status) IsFinal() bool { return s == StatusShipped || s == StatusCancelled }

// CancelReason says why an order was cancelled.
type CancelReason string

const (
	CancelledByCustomer    CancelReason = "customer_request"
	CancelledOutOfStock    CancelReason = "out_of_stock"
	CancelledPaymentDenied CancelReason = "payment_declined"
)
