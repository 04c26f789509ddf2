package orderevents

import (
	"encoding/json"
	"fmt"
	"math"
)

// upcastOrderPlacedV1 reads OrderPlaced as the first release wrote it:
// items without "subtotal". Version 2 carries each line's subtotal; for old
// events it is quantity × unit price, the same rule the order service applies.
func upcastOrderPlacedV1(data json.RawMessage) (json.RawMessage, error) {
	var v1 map[string]json.RawMessage
	if err := json.Unmarshal(data, &v1); err != nil {
		return nil, err
	}
	var items []map[string]json.RawMessage
	if raw, ok := v1["items"]; ok {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("items: %w", err)
		}
	}
	for i, it := range items {
		var quantity, unitPrice int64
		if err := json.Unmarshal(it["quantity"], &quantity); err != nil {
			return nil, fmt.Errorf("items[%d].quantity: %w", i, err)
		}
		if err := json.Unmarshal(it["unit_price"], &unitPrice); err != nil {
			return nil, fmt.Errorf("items[%d].unit_price: %w", i, err)
		}
		if quantity < 0 || unitPrice < 0 || (quantity != 0 && unitPrice > math.MaxInt64/quantity) {
			return nil, fmt.Errorf("items[%d]: subtotal of %d × %d is out of range", i, quantity, unitPrice)
		}
		it["subtotal"] = json.RawMessage(fmt.Sprint(quantity * unitPrice))
	}
	itemsJSON, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	v1["items"] = itemsJSON
	return json.Marshal(v1)
}

// upcastOrderStockReservedV1 reads OrderStockReserved as releases before
// schema version 2 wrote it: without the order's total. The total is not
// known then: the currency stays empty and the total zero.
func upcastOrderStockReservedV1(data json.RawMessage) (json.RawMessage, error) {
	var v1 map[string]json.RawMessage
	if err := json.Unmarshal(data, &v1); err != nil {
		return nil, err
	}
	if v1 == nil {
		return nil, fmt.Errorf("not an object: %s", data)
	}
	v1["currency"], v1["total"] = json.RawMessage(`""`), json.RawMessage(`0`)
	return json.Marshal(v1)
}
