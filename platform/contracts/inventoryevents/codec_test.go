package inventoryevents_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/orderflow/orders/platform/contracts/envelope"
	"github.com/orderflow/orders/platform/contracts/inventoryevents"
)

func TestEveryEventRoundTripsThroughItsMessage(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, e := range []inventoryevents.Event{
		inventoryevents.StockReserved{Lines: []inventoryevents.Line{{SKU: "A", Quantity: 2}}},
		inventoryevents.StockRejected{Reason: "short", Shortages: []inventoryevents.Shortage{{SKU: "A", Requested: 2, Available: 1}}},
		inventoryevents.StockReleased{Lines: []inventoryevents.Line{{SKU: "A", Quantity: 2}}},
		inventoryevents.StockCommitted{Lines: []inventoryevents.Line{{SKU: "A", Quantity: 2}}},
	} {
		t.Run(e.EventType(), func(t *testing.T) {
			env, err := inventoryevents.Encode("event-1", "order-1", at, e)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := env.Message()
			if err != nil {
				t.Fatal(err)
			}
			if msg.UUID != "event-1" || msg.Metadata.Get("name") != e.EventType() || msg.Metadata.Get("partition_key") != "order-1" {
				t.Errorf("message %s, metadata %v", msg.UUID, msg.Metadata)
			}
			back, err := envelope.FromMessage(msg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := inventoryevents.Decode(back)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, e) || !back.OccurredAt.Equal(at) || back.OrderID != "order-1" || back.Version != 0 {
				t.Errorf("round trip = %#v in %+v", got, back)
			}
		})
	}
}

func TestUnreadableEnvelopes(t *testing.T) {
	for name, env := range map[string]envelope.Envelope{
		"unknown type":   {EventType: "StockTeleported", SchemaVersion: 1, Data: json.RawMessage(`{}`)},
		"future version": {EventType: inventoryevents.StockReservedType, SchemaVersion: 2, Data: json.RawMessage(`{}`)},
		"bad data":       {EventType: inventoryevents.StockRejectedType, SchemaVersion: 1, Data: json.RawMessage(`{"reason":7}`)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := inventoryevents.Decode(env); err == nil {
				t.Errorf("Decode accepted it")
			}
		})
	}
}
