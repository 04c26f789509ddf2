package forwarder_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/platform/contracts/envelope"
	"github.com/orderflow/orders/platform/contracts/orderevents"
)

func newOrder(t *testing.T) *order.Order {
	t.Helper()
	o, err := order.Place(order.ID(uuid.NewString()), order.PlaceInput{
		CustomerID: "customer-1", Currency: "EUR",
		Items: []order.ItemInput{{SKU: "SKU-1", Quantity: 3, UnitPrice: 500}},
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestCommittedEventsReachKafkaAndRolledBackOnesDoNot places an order,
// fails another after its outbox publish, places a third, and reads the
// Kafka topic back: the first and third are there, keyed by order ID; the
// failed one is not.
func TestCommittedEventsReachKafkaAndRolledBackOnesDoNot(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	repo, err := postgres.NewOrderRepository(db, testenv.OutboxPublisher(t, outbox.Orders), postgres.OrderRepositoryConfig{EventsTopic: topic})
	if err != nil {
		t.Fatal(err)
	}
	failing, err := postgres.NewOrderRepository(db, testenv.FailingAfterPublish{Outbox: testenv.OutboxPublisher(t, outbox.Orders)}, postgres.OrderRepositoryConfig{EventsTopic: topic})
	if err != nil {
		t.Fatal(err)
	}
	first, rolledBack, last := newOrder(t), newOrder(t), newOrder(t)
	if _, _, err := repo.Add(ctx, first, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := failing.Add(ctx, rolledBack, nil); !errors.Is(err, testenv.ErrForced) {
		t.Fatalf("failing Add: err = %v, want the forced failure", err)
	}
	if _, _, err := repo.Add(ctx, last, nil); err != nil {
		t.Fatal(err)
	}

	publisher, err := kafka.NewPublisher(brokers, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = publisher.Close() }()
	fwd, err := forwarder.New(db, forwarder.Config{Outbox: outbox.Orders, Publisher: publisher, IdlePollInterval: 20 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- fwd.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("forwarder: %v", err)
		}
	}()

	records := waitForRecords(t, ctx, brokers, topic, 2)

	byOrder := map[string]kafka.Record{}
	for _, r := range records {
		byOrder[r.Key] = r
	}
	if _, found := byOrder[string(rolledBack.ID())]; found {
		t.Errorf("the rolled-back order's event reached Kafka")
	}
	for _, o := range []*order.Order{first, last} {
		r, found := byOrder[string(o.ID())]
		if !found {
			t.Errorf("order %s: no record keyed by its ID among %d records", o.ID(), len(records))
			continue
		}
		if r.Headers[envelope.MetadataEventName] != order.OrderPlacedType {
			t.Errorf("order %s: header name = %q, want OrderPlaced", o.ID(), r.Headers[envelope.MetadataEventName])
		}
		var env envelope.Envelope
		if err := json.Unmarshal(r.Value, &env); err != nil {
			t.Fatalf("decode record: %v", err)
		}
		if env.OrderID != string(o.ID()) || env.EventType != order.OrderPlacedType || env.Version != 1 ||
			env.SchemaVersion < 1 || env.EventID == "" || env.OccurredAt.IsZero() {
			t.Errorf("envelope = %+v", env)
		}
		var data orderevents.OrderPlaced
		if err := json.Unmarshal(env.Data, &data); err != nil || data.Total != 1500 || len(data.Items) != 1 {
			t.Errorf("event data = %s (%v)", env.Data, err)
		}
	}
}

// waitForRecords reads the topic until it holds at least n records.
func waitForRecords(t *testing.T, ctx context.Context, brokers []string, topic string, n int) []kafka.Record {
	t.Helper()
	for {
		var records []kafka.Record
		err := kafka.ReadTopic(ctx, brokers, topic, false, func(r kafka.Record) error {
			records = append(records, r)
			return nil
		})
		if err != nil {
			t.Fatalf("read %s: %v", topic, err)
		}
		if len(records) >= n {
			return records
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s holds %d records, want %d, before the deadline", topic, len(records), n)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
