package order

// Limits on a line item. They keep one order's total far from overflow and
// the read model's rows small.
const (
	MaxSKULength  = 64
	MaxQuantity   = 10_000
	MaxUnitPrice  = 1_000_000_000_00 // 1e9 major units
	MaxOrderLines = 100
)

// Item is one line of an order: so many units of a SKU at a unit price.
type Item struct {
	sku       string
	quantity  int64
	unitPrice Money
}

// ItemInput is the raw data of a line, before validation.
type ItemInput struct {
	SKU       string
	Quantity  int64
	UnitPrice int64
}

func newItem(in ItemInput, currency Currency, field string, v *validation) Item {
	switch {
	case in.SKU == "":
		v.add(field+".sku", "must not be empty")
	case !IsIdentifier(in.SKU, MaxSKULength):
		v.add(field+".sku", "must be at most %d printable ASCII characters without spaces", MaxSKULength)
	}
	if in.Quantity <= 0 || in.Quantity > MaxQuantity {
		v.add(field+".quantity", "must be between 1 and %d", MaxQuantity)
	}
	if in.UnitPrice < 0 || in.UnitPrice > MaxUnitPrice {
		v.add(field+".unit_price", "must be between 0 and %d minor units", int64(MaxUnitPrice))
	}
	return Item{sku: in.SKU, quantity: in.Quantity, unitPrice: NewMoney(in.UnitPrice, currency)}
}

// SKU returns the stock keeping unit.
func (i Item) SKU() string { return i.sku }

// Quantity returns the number of units.
func (i Item) Quantity() int64 { return i.quantity }

// UnitPrice returns the price of one unit.
func (i Item) UnitPrice() Money { return i.unitPrice }

// Subtotal returns quantity × unit price.
func (i Item) Subtotal() (Money, error) { return i.unitPrice.multiply(i.quantity) }
