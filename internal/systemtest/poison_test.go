package systemtest

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/internal/testenv"
)

// TestPoisonedMessagesGoToTheDeadLetterTopicAndTheRestContinues puts two
// bad messages on the order events topic: one that is not JSON at all,
// and one of an unknown event type for an order that is confirmed. Then
// that order is cancelled, and another order placed. Both consumers of the
// topic send the bad messages to their dead-letter topics without
// blocking; the new order is confirmed. The cancelled order's
// OrderCancelled comes after its poisoned message on its partition, so it
// is parked and dead-lettered too, never applied ahead of it: the order's
// stock stays held and its payment unrefunded until an operator steps in.
func TestPoisonedMessagesGoToTheDeadLetterTopicAndTheRestContinues(t *testing.T) {
	t.Parallel()
	s := startInProcess(t, options{})
	s.setStock(t, "BOOK", 100)
	body := map[string]any{"customer_id": "c-1", "currency": "EUR", "items": []line{{"BOOK", 2, 1299}}}

	var victim orderJSON
	if st := call(t, s.client, http.MethodPost, s.OrdersURL+"/orders", nil, body, &victim); st != http.StatusCreated {
		t.Fatalf("place: status %d", st)
	}
	s.waitForStatus(t, victim.ID, "confirmed")

	pub, err := kafka.NewPublisher(s.Brokers, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Close() }()
	garbage := message.NewMessage(uuid.NewString(), []byte("{this is not an event"))
	poisonID := uuid.NewString()
	poison := message.NewMessage(poisonID, mustJSON(t, map[string]any{
		"event_id": poisonID, "event_type": "OrderTeleported", "schema_version": 1,
		"order_id": victim.ID, "version": 5, "occurred_at": time.Now(), "data": map[string]any{},
	}))
	poison.Metadata.Set("name", "OrderTeleported")
	poison.Metadata.Set("partition_key", victim.ID)
	if err := pub.Publish(s.OrdersTopic, garbage, poison); err != nil {
		t.Fatal(err)
	}

	if st := call(t, s.client, http.MethodPost, s.OrdersURL+"/orders/"+victim.ID+"/cancel", nil, map[string]string{"reason": "late"}, nil); st != http.StatusOK {
		t.Fatalf("cancel: status %d", st)
	}
	var bystander orderJSON
	if st := call(t, s.client, http.MethodPost, s.OrdersURL+"/orders", nil, body, &bystander); st != http.StatusCreated {
		t.Fatalf("place: status %d", st)
	}
	s.waitForStatus(t, bystander.ID, "confirmed")

	for _, c := range []struct{ consumer, table, dlq string }{
		{"inventory", "inventory_parked_messages", s.InventoryDeadLetter},
		{"payment", "payment_parked_messages", s.PaymentDeadLetter},
	} {
		// The order's messages from the poisoned one on are parked, in
		// order: the poisoned one first, the cancellation last (events the
		// consumer had not reached yet, such as OrderConfirmed, between).
		var parked []string
		testenv.WaitFor(t, 30*time.Second, c.consumer+" parking the cancellation", func() (bool, string) {
			parked = s.parkedTypes(t, c.table, victim.ID)
			return len(parked) > 0 && parked[len(parked)-1] == "OrderCancelled", fmt.Sprint(parked)
		})
		if parked[0] != "OrderTeleported" {
			t.Errorf("%s parked %v, want the poisoned message first", c.consumer, parked)
		}
		// Each parked message and the garbage are on the dead-letter topic.
		var records []kafka.Record
		testenv.WaitFor(t, 30*time.Second, c.consumer+" dead letters", func() (bool, string) {
			records = readTopic(t, s.Brokers, c.dlq)
			return len(records) == len(parked)+1, fmt.Sprintf("%d records, %d parked", len(records), len(parked))
		})
		reasons := map[string]string{}
		for _, r := range records {
			reasons[r.Headers["name"]+"/"+r.Key] = r.Headers["reason_poisoned"]
		}
		if r := reasons["/"]; !strings.Contains(r, "not an event envelope") {
			t.Errorf("%s: the garbage message's reason = %q (all: %v)", c.consumer, r, reasons)
		}
		if r := reasons["OrderTeleported/"+victim.ID]; !strings.Contains(r, "unknown event type") {
			t.Errorf("%s: the poisoned message's reason = %q (all: %v)", c.consumer, r, reasons)
		}
		if r := reasons["OrderCancelled/"+victim.ID]; !strings.Contains(r, "parked") {
			t.Errorf("%s: the cancellation's reason = %q, want it parked behind the poisoned message (all: %v)", c.consumer, r, reasons)
		}
	}

	// Parked, not applied out of order.
	var reservation, payment string
	if err := s.DB.QueryRow(`SELECT (SELECT status FROM inventory_reservations WHERE order_id = $1), (SELECT status FROM payments WHERE order_id = $1)`, victim.ID).
		Scan(&reservation, &payment); err != nil {
		t.Fatal(err)
	}
	if reservation != "held" || payment != "captured" {
		t.Errorf("the parked order's reservation is %s and payment %s, want held and captured (untouched)", reservation, payment)
	}
	if got := s.payments(t, bystander.ID); len(got) != 1 || got[0].Status != "captured" {
		t.Errorf("the other order's payments: %+v", got)
	}
}

func (s *inProcess) waitForStatus(t *testing.T, id, status string) {
	t.Helper()
	waitForStatus(t, s.DB, id, status, 60*time.Second)
}

func (s *inProcess) parkedTypes(t *testing.T, table, orderID string) []string {
	t.Helper()
	var types []string
	each(t, s.DB, `SELECT metadata->>'name' FROM `+table+` WHERE order_key = $1 ORDER BY seq`, func(rows *sql.Rows) error {
		var name string
		err := rows.Scan(&name)
		types = append(types, name)
		return err
	}, orderID)
	return types
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
