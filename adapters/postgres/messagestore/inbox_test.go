package messagestore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/postgres/messagestore"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/internal/testenv"
)

// TestRecordInboxRefusesAMessageOfAParkedOrder records keys in each
// service's inbox, with and without the parking check: a key of an order
// that is not parked is recorded once (then a duplicate); one of a parked
// order is refused with ErrParked and leaves no record, even when it was
// recorded before; a key without an order (a release) is not checked.
func TestRecordInboxRefusesAMessageOfAParkedOrder(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := context.Background()
	record := recorder(db)
	for _, tables := range []messagestore.Tables{messagestore.InventoryTables, messagestore.PaymentTables, messagestore.SagaTables} {
		t.Run(tables.Inbox, func(t *testing.T) {
			lot, err := messagestore.NewParkingLot(db, tables)
			if err != nil {
				t.Fatal(err)
			}
			const consumer = "c"
			free, parked := uuid.NewString(), uuid.NewString()
			key := func(id, order string) inbox.Key { return inbox.Key{Consumer: consumer, MessageID: id, OrderKey: order} }
			before := uuid.NewString()

			for i, want := range []error{nil, inbox.ErrDuplicate} {
				if err := record(tables.Inbox, key("m-1", free)); !errors.Is(err, want) && (want != nil || err != nil) {
					t.Fatalf("record %d of an order that is not parked: %v, want %v", i+1, err, want)
				}
			}
			if err := record(tables.Inbox, key(before, parked)); err != nil {
				t.Fatal(err)
			}
			if err := lot.Park(ctx, consumer, parked, "t", message.NewMessage(uuid.NewString(), []byte(`{}`)), "failed"); err != nil {
				t.Fatal(err)
			}
			later := uuid.NewString()
			if err := record(tables.Inbox, key(later, parked)); !errors.Is(err, inbox.ErrParked) {
				t.Errorf("a later message of the parked order: %v, want inbox.ErrParked", err)
			}
			if err := record(tables.Inbox, key(before, parked)); !errors.Is(err, inbox.ErrParked) {
				t.Errorf("a message of the parked order recorded before: %v, want inbox.ErrParked (parked wins)", err)
			}
			if err := record(tables.Inbox, inbox.Key{Consumer: consumer, MessageID: later}); err != nil {
				t.Errorf("the later message without the check (a release): %v", err)
			}
			if err := record(tables.Inbox, key(later, "")); !errors.Is(err, inbox.ErrDuplicate) {
				t.Errorf("the released message again: %v, want inbox.ErrDuplicate", err)
			}
		})
	}
}

// TestTheSameMessageRecordedTwiceAtOnceIsADuplicate records each of many
// keys with an order and version from two transactions at once, as two
// instances do for a moment after a rebalance: one records it, the other
// finds a duplicate, never a conflicting event (which would park the
// message as a forked history). A second message with the key's order
// and version is a conflicting event.
func TestTheSameMessageRecordedTwiceAtOnceIsADuplicate(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	record := recorder(db)
	for _, table := range []string{messagestore.InventoryTables.Inbox, messagestore.PaymentTables.Inbox} {
		t.Run(table, func(t *testing.T) {
			const keys, pairsAtOnce = 400, 8
			var (
				mu       sync.Mutex
				outcomes = map[string]int{}
				wg       sync.WaitGroup
				slots    = make(chan struct{}, pairsAtOnce)
			)
			for range keys {
				order := uuid.NewString()
				key := inbox.Key{Consumer: "c", MessageID: uuid.NewString(), OrderKey: order, Order: order, Version: 1}
				slots <- struct{}{}
				wg.Go(func() {
					defer func() { <-slots }()
					var pair sync.WaitGroup
					for range 2 {
						pair.Go(func() {
							err := record(table, key)
							mu.Lock()
							defer mu.Unlock()
							switch {
							case err == nil:
								outcomes["recorded"]++
							case errors.Is(err, inbox.ErrDuplicate):
								outcomes["duplicate"]++
							case errors.Is(err, inbox.ErrConflictingEvent):
								outcomes["conflicting event"]++
							default:
								outcomes[fmt.Sprint(err)]++
							}
						})
					}
					pair.Wait()
				})
			}
			wg.Wait()
			if outcomes["recorded"] != keys || outcomes["duplicate"] != keys || len(outcomes) != 2 {
				t.Errorf("outcomes of %d keys recorded twice at once: %v, want each recorded once and a duplicate once", keys, outcomes)
			}

			order := uuid.NewString()
			if err := record(table, inbox.Key{Consumer: "c", MessageID: uuid.NewString(), OrderKey: order, Order: order, Version: 1}); err != nil {
				t.Fatal(err)
			}
			fork := inbox.Key{Consumer: "c", MessageID: uuid.NewString(), OrderKey: order, Order: order, Version: 1}
			if err := record(table, fork); !errors.Is(err, inbox.ErrConflictingEvent) {
				t.Errorf("another message with a recorded order and version: %v, want inbox.ErrConflictingEvent", err)
			}
		})
	}
}

// recorder records a key in an inbox table of db, in a transaction of its
// own.
func recorder(db *sql.DB) func(table string, key inbox.Key) error {
	return func(table string, key inbox.Key) error {
		ctx := context.Background()
		return pgtx.Do(ctx, db, func(uow *pgtx.UnitOfWork) error {
			return messagestore.RecordInbox(ctx, uow, table, key)
		})
	}
}
