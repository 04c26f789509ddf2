package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/domain/order"
	"github.com/orderflow/orders/internal/testenv"
	"github.com/orderflow/orders/platform/correlation"
)

func placeTestOrder(t *testing.T) *order.Order {
	t.Helper()
	o, err := order.Place(order.ID(uuid.NewString()), order.PlaceInput{
		CustomerID: "customer-1",
		Currency:   "EUR",
		Items:      []order.ItemInput{{SKU: "SKU-1", Quantity: 2, UnitPrice: 1299}},
	}, time.Now())
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	return o
}

func newRepository(t *testing.T, db *sql.DB, ob postgres.Outbox) *postgres.OrderRepository {
	t.Helper()
	repo, err := postgres.NewOrderRepository(db, ob, postgres.OrderRepositoryConfig{EventsTopic: "orders.events"})
	if err != nil {
		t.Fatalf("NewOrderRepository: %v", err)
	}
	return repo
}

// rowCounts counts what one order left in each table of the transaction.
type rowCounts struct{ events, readModel, outbox int }

func countRows(t *testing.T, db *sql.DB, id order.ID) rowCounts {
	t.Helper()
	var c rowCounts
	ctx := context.Background()
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM order_events WHERE stream_id = $1`, string(id)).Scan(&c.events); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM orders WHERE id = $1`, string(id)).Scan(&c.readModel); err != nil {
		t.Fatal(err)
	}
	// The outbox row is the forwarder's envelope; the order ID is in the
	// wrapped message's metadata.
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM watermill_orders_outbox WHERE payload::text LIKE '%' || $1 || '%'`, string(id)).Scan(&c.outbox); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAddWritesEventReadModelAndOutboxTogether(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	repo := newRepository(t, db, testenv.OutboxPublisher(t, outbox.Orders))
	o := placeTestOrder(t)

	if _, _, err := repo.Add(context.Background(), o, nil); err != nil {
		t.Fatalf("Add: %v", err)
	}

	if got := countRows(t, db, o.ID()); got != (rowCounts{events: 1, readModel: 1, outbox: 1}) {
		t.Errorf("rows = %+v, want one of each", got)
	}
	readModel, err := postgres.NewOrderReadModel(db)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readModel.OrderByID(context.Background(), o.ID())
	if err != nil {
		t.Fatalf("OrderByID: %v", err)
	}
	if got.Total != 2598 || got.Status != "placed" || got.Version != 1 || len(got.Items) != 1 {
		t.Errorf("read model = %+v", got)
	}
}

func TestFailureAfterOutboxPublishLeavesNothing(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	repo := newRepository(t, db, testenv.FailingAfterPublish{Outbox: testenv.OutboxPublisher(t, outbox.Orders)})
	o := placeTestOrder(t)

	_, _, err := repo.Add(context.Background(), o, nil)

	if !errors.Is(err, testenv.ErrForced) {
		t.Fatalf("Add: err = %v, want the forced failure", err)
	}
	if got := countRows(t, db, o.ID()); got != (rowCounts{}) {
		t.Errorf("rows after rollback = %+v, want none", got)
	}
}

func TestAddingTheSameOrderTwiceIsAConflict(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	repo := newRepository(t, db, testenv.OutboxPublisher(t, outbox.Orders))
	o := placeTestOrder(t)
	twin := placeTestOrderWithID(t, o.ID()) // another order that claims the same ID

	const writers = 8
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		ok, stale int
	)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			candidate := o
			if i%2 == 1 {
				candidate = twin
			}
			_, _, err := repo.Add(context.Background(), candidate, nil)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, command.ErrConcurrentUpdate):
				stale++
			default:
				t.Errorf("Add: unexpected error %v", err)
			}
		}()
	}
	wg.Wait()

	if ok != 1 || stale != writers-1 {
		t.Errorf("%d writers succeeded and %d got a conflict; want 1 and %d", ok, stale, writers-1)
	}
	if got := countRows(t, db, o.ID()); got != (rowCounts{events: 1, readModel: 1, outbox: 1}) {
		t.Errorf("rows = %+v, want one of each", got)
	}
}

func placeTestOrderWithID(t *testing.T, id order.ID) *order.Order {
	t.Helper()
	o, err := order.Place(id, order.PlaceInput{
		CustomerID: "customer-2", Currency: "USD",
		Items: []order.ItemInput{{SKU: "OTHER", Quantity: 1, UnitPrice: 5}},
	}, time.Now())
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	return o
}

func TestReadModelReportsUnknownOrders(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	readModel, err := postgres.NewOrderReadModel(db)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []order.ID{order.ID(uuid.NewString()), "not-a-uuid", ""} {
		if _, err := readModel.OrderByID(context.Background(), id); !errors.Is(err, order.ErrNotFound) {
			t.Errorf("OrderByID(%q): err = %v, want ErrNotFound", id, err)
		}
	}
}

func TestOutboxMessagesCarryTheCorrelationID(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	repo := newRepository(t, db, testenv.OutboxPublisher(t, outbox.Orders))
	o := placeTestOrder(t)
	ctx := correlation.WithID(context.Background(), "corr-7f3a")

	if _, _, err := repo.Add(ctx, o, nil); err != nil {
		t.Fatal(err)
	}

	var n int
	err := db.QueryRow(`SELECT count(*) FROM watermill_orders_outbox WHERE payload::text LIKE '%corr-7f3a%' AND payload::text LIKE '%' || $1 || '%'`, string(o.ID())).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d outbox messages carry the correlation ID, want 1", n)
	}
}
