package forwarder_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/internal/testenv"
)

// TestWritersThatTakeTheirIDBeforeWritingTheOutboxLoseNothing is the race
// of docs/forwarder.md ("Reading"): writers of one shard each announce
// themselves, take their transaction ID with a business write, pause, and
// only then write the outbox, while other writers commit later IDs and the
// forwarder reads in small batches all along. Every few transactions one
// pauses half a second, long enough for many forwarder leases and later commits.
// Kafka (one partition) must then hold every committed row exactly once,
// each order's in their order.
func TestWritersThatTakeTheirIDBeforeWritingTheOutboxLoseNothing(t *testing.T) {
	t.Parallel()
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	topic := testenv.Topic(t, brokers, 1)
	pub := testenv.OutboxPublisher(t, outbox.Orders)
	if _, err := db.Exec(`CREATE TABLE business (order_id text, version int, xid xid8)`); err != nil {
		t.Fatal(err)
	}
	startForwarder(t, db, dbURL, brokers, forwarder.Config{IdlePollInterval: 10 * time.Millisecond, BatchSize: 3})

	const writers, perWriter = 6, 15
	var (
		wg sync.WaitGroup
	)
	errs := make(chan error, writers)
	for w := range writers {
		order := keyInShard(t, outbox.Orders, "race", fmt.Sprintf("race-%d", w)) // one shard for all
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := 1; v <= perWriter; v++ {
				pause := time.Duration(rand.IntN(20)) * time.Millisecond
				if (w+v)%10 == 0 {
					pause = 500 * time.Millisecond
				}
				if err := writeLate(db, pub, topic, newMessage(t, order, v), v, pause); err != nil {
					errs <- fmt.Errorf("writer %d, version %d: %w", w, v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// One outbox row per business row, in the same transaction.
	var committed int
	if err := db.QueryRow(`SELECT count(*) FROM business`).Scan(&committed); err != nil || committed != writers*perWriter {
		t.Fatalf("%d rows in the shard (%v), want %d", committed, err, writers*perWriter)
	}
	records := readEvents(t, brokers, topic, committed, 60*time.Second)
	time.Sleep(300 * time.Millisecond) // a duplicate would show now
	records = readEvents(t, brokers, topic, len(records), 0)
	if len(records) != committed {
		t.Errorf("%d records on Kafka, want %d (each committed row once)", len(records), committed)
	}
	// Each writer commits its versions one after the other: on Kafka each
	// order's versions are 1, 2, … in that order. Other orders' events
	// may come between them in any order.
	versions := map[string][]int{}
	for _, r := range records {
		e := decode(t, r)
		versions[e.Order] = append(versions[e.Order], e.Version)
	}
	for order, got := range versions {
		for i, v := range got {
			if v != i+1 {
				t.Errorf("order %s: versions %v on Kafka, want 1 to %d in order", order, got, perWriter)
				break
			}
		}
	}
}

// writeLate writes one order event the way a repository does: announce,
// a business write (the transaction takes its ID), a pause, the outbox.
func writeLate(db *sql.DB, pub *outbox.Publisher, topic string, msg *message.Message, version int, pause time.Duration) error {
	ctx := context.Background()
	order := msg.Metadata.Get(outbox.MetadataPartitionKey)
	return pgtx.Do(ctx, db, func(uow *pgtx.UnitOfWork) error {
		if err := pub.Announce(ctx, uow, order); err != nil {
			return err
		}
		if _, err := uow.Tx.ExecContext(ctx, `INSERT INTO business VALUES ($1, $2, pg_current_xact_id())`, order, version); err != nil {
			return err
		}
		time.Sleep(pause)
		return pub.Publish(ctx, uow, topic, msg)
	})
}
