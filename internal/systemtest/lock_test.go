package systemtest

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/ports/messaging"
)

// TestARowLockHeldOutsideTheServiceDelaysOnlyTheOrdersThatNeedIt: a
// session that writes no outbox (psql, a report) holds one SKU's stock row
// for longer than the lock timeout. The inventory's writer of an order for
// that SKU announced itself as a writer of its outbox shard and has a
// transaction ID (its inbox record) when it waits for the row, so while it
// waits the forwarder blocks every event of the shard, other orders'
// StockReserved included. With DATABASE_LOCK_TIMEOUT it gives up, rolls
// back and retries with backoff, and the other orders end while the row is
// still held (those on the blocked order's Kafka partition wait for it, by
// design: one message per partition at a time). Once the row is free the
// blocked order ends too.
func TestARowLockHeldOutsideTheServiceDelaysOnlyTheOrdersThatNeedIt(t *testing.T) {
	t.Parallel()
	const partitions = 6 // startInProcess's orders topic
	s := startInProcess(t, options{
		lockTimeout: 200 * time.Millisecond,
		// Enough retries to outlast the hold: the blocked order ends
		// rather than being parked.
		retry: &messaging.RetryConfig{MaxRetries: 100, InitialInterval: 20 * time.Millisecond, MaxInterval: 200 * time.Millisecond},
	})
	s.setStock(t, "LOCKED", 10)
	s.setStock(t, "FREE", 1000)

	holder, err := s.DB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Rollback() }()
	if _, err := holder.Exec(`SELECT 1 FROM inventory_stock WHERE sku = 'LOCKED' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	held := time.Now()

	place := func(sku string) string {
		var o orderJSON
		body := map[string]any{"customer_id": "c-1", "currency": "EUR", "items": []line{{sku, 1, 500}}}
		if st := call(t, s.client, http.MethodPost, s.OrdersURL+"/orders", nil, body, &o); st != http.StatusCreated {
			t.Fatalf("place an order for %s: status %d", sku, st)
		}
		return o.ID
	}
	partitioner := sarama.NewHashPartitioner(s.OrdersTopic)
	partitionOf := func(id string) int32 {
		p, err := partitioner.Partition(&sarama.ProducerMessage{Key: sarama.StringEncoder(id)}, partitions)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	blocked := place("LOCKED")
	var others, behind []string // on other partitions; on the blocked order's
	for len(others) < 8 {
		id := place("FREE")
		if partitionOf(id) == partitionOf(blocked) {
			behind = append(behind, id)
		} else {
			others = append(others, id)
		}
	}

	testenv.WaitFor(t, 10*time.Second, "the orders for other SKUs on other partitions confirmed while the row is held", func() (bool, string) {
		st := s.orderStatuses(t)
		waiting := 0
		for _, id := range others {
			if st[id].Status != "confirmed" {
				waiting++
			}
		}
		return waiting == 0, fmt.Sprintf("%d of %d not confirmed", waiting, len(others))
	})
	t.Logf("%d orders on other partitions confirmed %v after the row was locked", len(others), time.Since(held).Round(time.Millisecond))
	if st := s.orderStatuses(t)[blocked].Status; st != "placed" {
		t.Fatalf("the order for the locked SKU is %s while its row is held, want placed", st)
	}

	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	released := time.Now()
	for _, id := range append([]string{blocked}, behind...) {
		s.waitForStatus(t, id, "confirmed")
	}
	t.Logf("the blocked order and %d behind it on its partition confirmed %v after the row was released", len(behind), time.Since(released).Round(time.Millisecond))
	if parked := s.parkedTypes(t, "inventory_parked_messages", blocked); len(parked) > 0 {
		t.Errorf("the blocked order's messages were parked: %v", parked)
	}
}
