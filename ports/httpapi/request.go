package httpapi

import (
	"bytes"
	"encoding/json"

	"github.com/orderflow/orders/ports/internal/httpio"
)

// UnmarshalJSON reads an order line strictly, and requires unit_price:
// left out, Go would read it as 0, a free item the client never asked for.
// (A missing SKU or quantity is already refused by the domain.)
func (it *placeOrderItemIn) UnmarshalJSON(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err == nil {
		if _, ok := fields["unit_price"]; !ok {
			return httpio.MissingField("unit_price")
		}
	}
	type plain placeOrderItemIn // without this method
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode((*plain)(it))
}
