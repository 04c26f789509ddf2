package messaging

import (
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/platform/contracts/envelope"
	"github.com/orderflow/orders/platform/contracts/inventoryevents"
	"github.com/orderflow/orders/platform/contracts/orderevents"
	"github.com/orderflow/orders/platform/contracts/paymentevents"
)

// FuzzConsumerDecoding hands the consumers' decoding any message: any ID,
// event name, order key and payload. requireReadable (the router's
// innermost middleware) and the cqrs marshaler never panic; a message
// they cannot read fails with a permanent error, which the router
// dead-letters at once (never retried, never redelivered); a message they
// read reaches the handlers named by its event type.
func FuzzConsumerDecoding(f *testing.F) {
	const orderID = "0b4c6c4e-6a3c-4c59-9d0e-6f2a4d5b9e10"
	valid := `{"event_id":"e-1","event_type":"OrderPlaced","schema_version":2,"order_id":"` + orderID + `","version":1,"occurred_at":"2026-11-27T10:00:00Z",` +
		`"data":{"customer_id":"c","currency":"EUR","items":[{"sku":"A","quantity":1,"unit_price":5,"subtotal":5}],"total":5}}`
	f.Add("e-1", "OrderPlaced", orderID, []byte(valid))
	f.Add("e-1", "", "", []byte(valid))
	f.Add("e-2", "OrderCancelled", orderID, []byte(valid))
	f.Add("", "", "", []byte(valid))
	f.Add("e-1", "", orderID, []byte(`{this is not an event`))
	f.Add("e-1", "", orderID, []byte{})
	f.Add("e-1", "StockReserved", orderID, []byte(`{"event_id":"e-1","event_type":"StockReserved","schema_version":1,"order_id":"`+orderID+`","occurred_at":"2026-11-27T10:00:00Z","data":{"lines":[]}}`))
	f.Add("e-1", "PaymentCaptured", orderID, []byte(`{"event_id":"e-1","event_type":"PaymentCaptured","schema_version":2,"order_id":"`+orderID+`","occurred_at":"2026-11-27T10:00:00Z","data":{}}`))
	f.Add("e-1", "OrderTeleported", orderID, []byte(`{"event_id":"e-1","event_type":"OrderTeleported","schema_version":1,"order_id":"`+orderID+`","occurred_at":"2026-11-27T10:00:00Z","data":{}}`))
	f.Add("e-1", "OrderShipped", "", []byte(`{"event_id":"e-1","event_type":"OrderShipped","schema_version":1,"order_id":"not-a-uuid","occurred_at":"2026-11-27T10:00:00Z","data":{}}`))
	f.Fuzz(func(t *testing.T, id, name, key string, payload []byte) {
		msg := newFuzzMessage(id, name, key, payload)
		handled := false
		_, err := requireReadable(func(*message.Message) ([]*message.Message, error) {
			handled = true
			return nil, nil
		})(msg)
		if err != nil {
			if handled || retryable(err) || !deadLetterable(err) {
				t.Fatalf("unreadable message: handled %v, error %v is retried or not dead-lettered", handled, err)
			}
			return
		}
		eventName := msg.Metadata.Get(envelope.MetadataEventName)
		if known := orderevents.Known(eventName) || inventoryevents.Known(eventName) || paymentevents.Known(eventName); !handled || !known {
			t.Fatalf("readable message not handled (%v) or named %q", handled, eventName)
		}
		// What the event processor does next: the marshaler fills the
		// event of the handler the name picks, or fails permanently.
		for _, event := range handlerEvents() {
			err := marshaler{}.Unmarshal(newFuzzMessage(id, name, key, payload), event)
			if err != nil && (retryable(err) || !deadLetterable(err)) {
				t.Fatalf("Unmarshal into %T: %v is retried or not dead-lettered", event, err)
			}
			if (err == nil) != (marshaler{}.Name(event) == eventName) {
				t.Fatalf("Unmarshal of %s into %T: %v", eventName, event, err)
			}
		}
	})
}

func newFuzzMessage(id, name, key string, payload []byte) *message.Message {
	msg := message.NewMessage(id, payload)
	if name != "" {
		msg.Metadata.Set(envelope.MetadataEventName, name)
	}
	if key != "" {
		msg.Metadata.Set(envelope.MetadataPartitionKey, key)
	}
	return msg
}

// handlerEvents are the events of every consumer's handlers.
func handlerEvents() []any {
	return []any{
		&Received[orderevents.OrderPlaced]{}, &Received[orderevents.OrderStockReserved]{},
		&Received[orderevents.OrderCancelled]{}, &Received[orderevents.OrderShipped]{},
		&Received[inventoryevents.StockReserved]{}, &Received[inventoryevents.StockRejected]{},
		&Received[paymentevents.PaymentCaptured]{}, &Received[paymentevents.PaymentDeclined]{},
	}
}
