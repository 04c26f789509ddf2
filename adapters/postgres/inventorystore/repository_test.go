package inventorystore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/metrics"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/postgres/inventorystore"
	"github.com/orderflow/orders/app/inbox"
	app "github.com/orderflow/orders/app/inventory"
	"github.com/orderflow/orders/app/inventory/command"
	"github.com/orderflow/orders/app/inventory/query"
	domain "github.com/orderflow/orders/domain/inventory"
	"github.com/orderflow/orders/internal/testenv"
)

func newApp(t *testing.T, db *sql.DB) app.Application {
	t.Helper()
	a, _ := newAppAndOutbox(t, db)
	return a
}

// newAppAndOutbox is newApp with the outbox publisher its repository writes with.
func newAppAndOutbox(t *testing.T, db *sql.DB) (app.Application, *outbox.Publisher) {
	t.Helper()
	pub, err := outbox.NewPublisher(outbox.PublisherConfig{Outbox: outbox.Inventory}, nil)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := inventorystore.NewRepository(db, pub, "inventory.events")
	if err != nil {
		t.Fatal(err)
	}
	readModel, err := inventorystore.NewStockReadModel(db)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.NewApplication(app.Adapters{Repository: repo, StockReadModel: readModel, Now: time.Now}, slog.New(slog.DiscardHandler), metrics.NoOp{})
	if err != nil {
		t.Fatal(err)
	}
	return a, pub
}

func outboxCount(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM ` + outbox.Inventory.ViewName()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConcurrentReservationsNeverOversell runs 60 reservations of one
// SKU (and a second SKU some of them share, in either line order) at once:
// the units held never exceed the stock, every held reservation is
// counted, and no transaction deadlocks.
func TestConcurrentReservationsNeverOversell(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	a := newApp(t, db)
	ctx := context.Background()
	const stock, orders = 25, 60
	for _, sku := range []string{"HOT", "WARM"} {
		if err := a.Commands.SetStock.Handle(ctx, command.SetStock{SKU: sku, OnHand: stock}); err != nil {
			t.Fatal(err)
		}
	}

	var (
		wg            sync.WaitGroup
		mu            sync.Mutex
		heldHot       int64
		heldWarm      int64
		held, refused int
	)
	for i := range orders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := int64(i%3 + 1)
			lines := []domain.Line{{SKU: "HOT", Quantity: q}}
			if i%2 == 0 {
				lines = append([]domain.Line{{SKU: "WARM", Quantity: 1}}, lines...)
			} else {
				lines = append(lines, domain.Line{SKU: "WARM", Quantity: 1})
			}
			status, err := a.Commands.ReserveStock.Handle(ctx, command.ReserveStock{OrderID: uuid.NewString(), Lines: lines})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("reserve: %v", err)
			case status == domain.StatusHeld:
				held++
				heldHot += q
				heldWarm++
			default:
				refused++
			}
		}()
	}
	wg.Wait()

	for sku, want := range map[string]int64{"HOT": heldHot, "WARM": heldWarm} {
		l, err := a.Queries.GetStockLevel.Handle(ctx, query.GetStockLevel{SKU: sku})
		if err != nil {
			t.Fatal(err)
		}
		if l.Reserved != want || l.Reserved > stock || l.OnHand != stock {
			t.Errorf("%s: on hand %d, reserved %d; want %d on hand and the %d units of the held reservations", sku, l.OnHand, l.Reserved, stock, want)
		}
	}
	if heldHot < stock-2 {
		t.Errorf("only %d of %d units held: reservations were refused while stock remained", heldHot, stock)
	}
	if n := outboxCount(t, db); n != orders {
		t.Errorf("%d outbox messages, want one per reservation (%d)", n, orders)
	}
	t.Logf("%d held, %d refused; %d HOT units held of %d", held, refused, heldHot, stock)
}

// TestARedeliveredMessageHasNoSecondEffect: the same message (inbox key)
// reserving and then releasing is applied once each.
func TestARedeliveredMessageHasNoSecondEffect(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	a := newApp(t, db)
	ctx := context.Background()
	if err := a.Commands.SetStock.Handle(ctx, command.SetStock{SKU: "BOOK", OnHand: 10}); err != nil {
		t.Fatal(err)
	}
	orderID := uuid.NewString()
	placed := inbox.Key{Consumer: "inventory", MessageID: "event-placed"}
	reserve := command.ReserveStock{Message: placed, OrderID: orderID, Lines: []domain.Line{{SKU: "BOOK", Quantity: 4}}}

	if _, err := a.Commands.ReserveStock.Handle(ctx, reserve); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Commands.ReserveStock.Handle(ctx, reserve); !errors.Is(err, inbox.ErrDuplicate) {
		t.Errorf("second delivery: err = %v, want ErrDuplicate", err)
	}
	// Another consumer's inbox is its own.
	reserve.Message = inbox.Key{Consumer: "someone-else", MessageID: "event-placed"}
	if _, err := a.Commands.ReserveStock.Handle(ctx, reserve); !errors.Is(err, command.ErrReservationExists) {
		t.Errorf("same order through another key: err = %v, want ErrReservationExists", err)
	}

	cancelled := inbox.Key{Consumer: "inventory", MessageID: "event-cancelled"}
	for i := range 3 {
		err := a.Commands.ReleaseStock.Handle(ctx, command.ReleaseStock{Message: cancelled, OrderID: orderID})
		if i == 0 && err != nil || i > 0 && !errors.Is(err, inbox.ErrDuplicate) {
			t.Errorf("release delivery %d: err = %v", i+1, err)
		}
	}

	l, err := a.Queries.GetStockLevel.Handle(ctx, query.GetStockLevel{SKU: "BOOK"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Reserved != 0 || l.OnHand != 10 {
		t.Errorf("stock = %+v, want 10 on hand and nothing reserved", l)
	}
	if n := outboxCount(t, db); n != 2 {
		t.Errorf("%d outbox messages, want StockReserved and StockReleased", n)
	}
	var inboxRows int
	if err := db.QueryRow(`SELECT count(*) FROM inventory_inbox`).Scan(&inboxRows); err != nil {
		t.Fatal(err)
	}
	if inboxRows != 2 {
		t.Errorf("%d inbox records, want 2", inboxRows)
	}
}

func TestStockLevelsOfOperators(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	a := newApp(t, db)
	ctx := context.Background()
	if _, err := a.Queries.GetStockLevel.Handle(ctx, query.GetStockLevel{SKU: "NEW"}); !errors.Is(err, query.ErrUnknownSKU) {
		t.Errorf("unknown SKU: err = %v", err)
	}
	if err := a.Commands.SetStock.Handle(ctx, command.SetStock{SKU: "NEW", OnHand: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Commands.ReserveStock.Handle(ctx, command.ReserveStock{OrderID: uuid.NewString(), Lines: []domain.Line{{SKU: "NEW", Quantity: 3}}}); err != nil {
		t.Fatal(err)
	}
	err := a.Commands.SetStock.Handle(ctx, command.SetStock{SKU: "NEW", OnHand: 2})
	if !errors.Is(err, domain.ErrBelowReserved) {
		t.Errorf("setting stock below the reserved units: err = %v", err)
	}
	l, _ := a.Queries.GetStockLevel.Handle(ctx, query.GetStockLevel{SKU: "NEW"})
	if fmt.Sprint(l.OnHand, l.Reserved, l.Available) != "5 3 2" {
		t.Errorf("stock = %+v", l)
	}
}
