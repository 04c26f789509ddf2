package systemtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/internal/testenv"
)

// oversizedValue is the size of the largest bad record: so close to the
// broker's default message.max.bytes (1048588), which the test's topics
// keep, that the record with the dead-letter headers added would not fit.
const oversizedValue = 1_048_000

// badRecord is one kind of bad input, written straight to a topic.
type badRecord struct {
	kind    string
	value   []byte
	key     string // the order key; empty: no key
	id      string // the Watermill message UUID header; empty: none
	name    string // the "name" header; empty: none
	because string // a word of the reason the consumer must give
}

// badRecords are the kinds of bad input for a consumer of eventType's
// topic: each names an order of its own (when it names one), so none is
// parked behind another.
func badRecords(eventType string) []badRecord {
	envelope := func(id, orderID, eventType string, version int, data string) []byte {
		return fmt.Appendf(nil, `{"event_id":%q,"event_type":%q,"schema_version":%d,"order_id":%q,"occurred_at":"2026-11-27T10:00:00Z","data":%s}`,
			id, eventType, version, orderID, data)
	}
	var records []badRecord
	add := func(kind, eventName string, value func(id, orderID string) []byte, withID, withKey bool, because string) {
		id, orderID := uuid.NewString(), uuid.NewString()
		r := badRecord{kind: kind, value: value(id, orderID), name: eventName, because: because}
		if withID {
			r.id = id
		}
		if withKey {
			r.key = orderID
		}
		records = append(records, r)
	}
	add("garbage", "", func(string, string) []byte { return []byte("\x00\xff{not json at all") }, true, true, "not an event envelope")
	add("unknown type", "Teleported", func(id, o string) []byte { return envelope(id, o, "Teleported", 1, `{}`) }, true, true, "unknown event type")
	add("missing field", eventType, func(id, o string) []byte { return envelope(id, o, eventType, 1, `{}`) }, true, true, "is missing")
	add("invalid field", eventType, func(id, o string) []byte {
		return envelope(id, o, eventType, 1, `{"reason":7,"lines":"x","payment_id":[],"amount":"ten","currency":{}}`)
	}, true, true, "unmarshal")
	add("unknown schema version", eventType, func(id, o string) []byte { return envelope(id, o, eventType, 99, `{}`) }, true, true, "schema version 99")
	add("no message ID", eventType, func(id, o string) []byte { return envelope(id, o, eventType, 1, `{}`) }, false, true, "no ID")
	add("no order key", "", func(id, _ string) []byte { return envelope(id, "", eventType, 1, `{}`) }, true, false, "not a UUID")
	add("empty value", "", func(string, string) []byte { return nil }, true, true, "not an event envelope")
	add("oversized", "Teleported", func(id, o string) []byte {
		return envelope(id, o, "Teleported", 1, `{"padding":"`+strings.Repeat("x", oversizedValue)+`"}`)
	}, true, true, "unknown event type")
	return records
}

// TestBadRecordsOnEveryConsumedTopicAreDeadLettered writes every kind of
// bad record (badRecords) straight to each topic a consumer reads: the
// order events (inventory and payment), the inventory's and the payment
// service's outcomes (the order saga). Each lands on the dead-letter topic
// of each of its consumers, with the reason in its headers, and the
// consumers stay up: an order placed afterwards is confirmed.
func TestBadRecordsOnEveryConsumedTopicAreDeadLettered(t *testing.T) {
	t.Parallel()
	s := startInProcess(t, options{})
	s.setStock(t, "BOOK", 100)

	producer := rawProducer(t, s.Brokers)
	injected := map[string][]badRecord{}
	// On the order events, OrderCancelled: an event both their consumers
	// read (one either skips goes to neither's dead letters).
	for topic, eventType := range map[string]string{s.OrdersTopic: "OrderCancelled", s.InventoryTopic: "StockReserved", s.PayTopic: "PaymentCaptured"} {
		injected[topic] = badRecords(eventType)
		for i, r := range injected[topic] {
			msg := &sarama.ProducerMessage{Topic: topic, Value: sarama.ByteEncoder(r.value),
				Headers: []sarama.RecordHeader{{Key: []byte("probe"), Value: fmt.Appendf(nil, "%d", i)}}}
			if r.key != "" {
				msg.Key = sarama.StringEncoder(r.key)
			}
			if r.id != "" {
				msg.Headers = append(msg.Headers, sarama.RecordHeader{Key: []byte("_watermill_message_uuid"), Value: []byte(r.id)})
			}
			if r.name != "" {
				msg.Headers = append(msg.Headers, sarama.RecordHeader{Key: []byte("name"), Value: []byte(r.name)})
			}
			if _, _, err := producer.SendMessage(msg); err != nil {
				t.Fatalf("write %s to %s: %v", r.kind, topic, err)
			}
		}
	}

	var good orderJSON
	body := map[string]any{"customer_id": "c-1", "currency": "EUR", "items": []line{{"BOOK", 1, 500}}}
	if st := call(t, s.client, http.MethodPost, s.OrdersURL+"/orders", nil, body, &good); st != http.StatusCreated {
		t.Fatalf("place: status %d", st)
	}
	s.waitForStatus(t, good.ID, "confirmed")

	for _, c := range []struct {
		consumer, dlq string
		topics        []string
	}{
		{"inventory", s.InventoryDeadLetter, []string{s.OrdersTopic}},
		{"payment", s.PaymentDeadLetter, []string{s.OrdersTopic}},
		{"order-saga", s.SagaDeadLetter, []string{s.InventoryTopic, s.PayTopic}},
	} {
		want := 0
		for _, topic := range c.topics {
			want += len(injected[topic])
		}
		var records []kafka.Record
		testenv.WaitFor(t, 60*time.Second, c.consumer+" dead letters", func() (bool, string) {
			records = readTopic(t, s.Brokers, c.dlq)
			return len(records) >= want, fmt.Sprintf("%d of %d records", len(records), want)
		})
		// At-least-once: a record handled again (after a rebalance, say)
		// is dead-lettered again, then because its order is parked by the
		// first time. Each record needs one dead letter with its own
		// reason; more are duplicates, not errors.
		byProbe := map[string][]kafka.Record{}
		for _, r := range records {
			probe := r.Headers["topic_poisoned"] + "/" + r.Headers["probe"]
			byProbe[probe] = append(byProbe[probe], r)
		}
		for _, topic := range c.topics {
			for i, bad := range injected[topic] {
				letters := byProbe[fmt.Sprintf("%s/%d", topic, i)]
				if len(letters) == 0 {
					t.Errorf("%s: the %s record from %s is not on the dead-letter topic", c.consumer, bad.kind, topic)
					continue
				}
				idx := slices.IndexFunc(letters, func(r kafka.Record) bool { return strings.Contains(r.Headers["reason_poisoned"], bad.because) })
				if idx < 0 {
					t.Errorf("%s: the %s record from %s: reasons %q, want one to say %q", c.consumer, bad.kind, topic, reasons(letters), bad.because)
					continue
				}
				if len(letters) > 1 {
					t.Logf("%s: the %s record from %s was dead-lettered %d times (delivered again): %q", c.consumer, bad.kind, topic, len(letters), reasons(letters))
				}
				checkDeadLetterValue(t, c.consumer, topic, bad, letters[idx])
			}
		}
		if len(byProbe) != want {
			t.Errorf("%s: dead letters of %d distinct records, want %d (one per bad record)", c.consumer, len(byProbe), want)
		}
	}
}

// checkDeadLetterValue checks a dead letter carries the bad record's
// value: whole, or cut when over the payload limit, saying where the whole
// record is.
func checkDeadLetterValue(t *testing.T, consumer, topic string, bad badRecord, r kafka.Record) {
	t.Helper()
	if len(bad.value) > kafka.DeadLetterPayloadLimit {
		if r.Headers[kafka.MetadataTruncatedFrom] != strconv.Itoa(len(bad.value)) || len(r.Value) != kafka.DeadLetterPayloadLimit ||
			r.Headers[kafka.MetadataPoisonedOffset] == "" || r.Headers[kafka.MetadataPoisonedPartition] == "" {
			t.Errorf("%s: the %s record from %s: %d bytes dead-lettered, headers %v", consumer, bad.kind, topic, len(r.Value), r.Headers)
		}
		return
	}
	if len(r.Value) != len(bad.value) {
		t.Errorf("%s: the %s record from %s: %d bytes dead-lettered of %d", consumer, bad.kind, topic, len(r.Value), len(bad.value))
	}
}

func reasons(records []kafka.Record) []string {
	out := make([]string, len(records))
	for i, r := range records {
		out[i] = r.Headers["reason_poisoned"]
	}
	return out
}

// rawProducer writes records as they are, headers and all, up to the
// broker's own size limit.
func rawProducer(t *testing.T, brokers []string) sarama.SyncProducer {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.MaxMessageBytes = int(sarama.MaxRequestSize)
	producer, err := sarama.NewSyncProducer(brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = producer.Close() })
	return producer
}
