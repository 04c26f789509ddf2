package commandtest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/domain/order"
)

// added places a new order and adds it to repo.
func added(t *testing.T, repo command.OrderRepository) *order.Order {
	t.Helper()
	o := place(t)
	if _, _, err := repo.Add(context.Background(), o, nil); err != nil {
		t.Fatal(err)
	}
	return o
}

func place(t *testing.T) *order.Order {
	t.Helper()
	return placeWithID(t, order.ID(newUUID()))
}

func placeWithID(t *testing.T, id order.ID) *order.Order {
	t.Helper()
	o, err := order.Place(id, order.PlaceInput{
		CustomerID: "customer-1",
		Currency:   "EUR",
		Items:      []order.ItemInput{{SKU: "SKU-1", Quantity: 2, UnitPrice: 1299}},
	}, time.Now())
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	return o
}

func assertVersion(t *testing.T, repo command.OrderRepository, id order.ID, version int, status order.Status) {
	t.Helper()
	err := repo.Update(context.Background(), id, inbox.Key{}, func(_ context.Context, o *order.Order) error {
		if o.Version() != version || o.Status() != status {
			t.Errorf("order is %s at version %d, want %s at %d", o.Status(), o.Version(), status, version)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func assertNotStored(t *testing.T, repo command.OrderRepository, id order.ID) {
	t.Helper()
	err := repo.Update(context.Background(), id, inbox.Key{}, func(context.Context, *order.Order) error { return nil })
	if !errors.Is(err, order.ErrNotFound) {
		t.Errorf("order %s: err = %v, want ErrNotFound (it must not be stored)", id, err)
	}
}

// newUUID returns a random UUID (version 4): the stores' order IDs are UUIDs.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
