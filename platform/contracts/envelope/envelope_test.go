package envelope_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/platform/contracts/envelope"
)

// TestTheWireFormatIsStable pins the JSON on Kafka: field names and order,
// and "version" only for order events.
func TestTheWireFormatIsStable(t *testing.T) {
	at := time.Date(2026, 11, 27, 18, 20, 40, 274585000, time.UTC)
	for name, tt := range map[string]struct {
		env  envelope.Envelope
		want string
	}{
		"order event": {
			envelope.Envelope{EventID: "e", EventType: "OrderShipped", SchemaVersion: 1, OrderID: "o", Version: 3, OccurredAt: at, Data: json.RawMessage(`{}`)},
			`{"event_id":"e","event_type":"OrderShipped","schema_version":1,"order_id":"o","version":3,"occurred_at":"2026-11-27T18:20:40.274585Z","data":{}}`,
		},
		"outcome event": {
			envelope.Envelope{EventID: "e", EventType: "StockReserved", SchemaVersion: 1, OrderID: "o", OccurredAt: at, Data: json.RawMessage(`{"lines":[]}`)},
			`{"event_id":"e","event_type":"StockReserved","schema_version":1,"order_id":"o","occurred_at":"2026-11-27T18:20:40.274585Z","data":{"lines":[]}}`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			msg, err := tt.env.Message()
			if err != nil {
				t.Fatal(err)
			}
			if string(msg.Payload) != tt.want {
				t.Errorf("payload\n got %s\nwant %s", msg.Payload, tt.want)
			}
			if msg.UUID != "e" || msg.Metadata.Get(envelope.MetadataEventName) != tt.env.EventType ||
				msg.Metadata.Get(envelope.MetadataPartitionKey) != "o" || msg.Metadata.Get(envelope.MetadataSchemaVersion) != "1" {
				t.Errorf("message %s, metadata %v", msg.UUID, msg.Metadata)
			}
			back, err := envelope.FromMessage(msg)
			if err != nil {
				t.Fatal(err)
			}
			if back.EventID != "e" || back.Version != tt.env.Version || !back.OccurredAt.Equal(at) {
				t.Errorf("read back %+v", back)
			}
		})
	}
}

func TestMessagesThatAreNotEnvelopesAreRefused(t *testing.T) {
	named := message.NewMessage("e", []byte(`{"event_id":"e","event_type":"OrderShipped"}`))
	named.Metadata.Set(envelope.MetadataEventName, "OrderPlaced")
	for name, msg := range map[string]*message.Message{
		"no ID":            message.NewMessage("", []byte(`{}`)),
		"not JSON":         message.NewMessage("e", []byte(`{`)),
		"another event ID": message.NewMessage("e", []byte(`{"event_id":"f"}`)),
		"another name":     named,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := envelope.FromMessage(msg); err == nil {
				t.Error("FromMessage accepted it")
			}
		})
	}
}
