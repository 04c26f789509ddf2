package messagestore_test

import (
	"context"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/postgres/messagestore"
	"github.com/orderflow/orders/internal/testenv"
)

// TestParkBehindParksOnlyWhileTheOrderIsParked walks the parking lot
// through a release: a message parks behind the order's parked one, the
// release takes them first to last, and once the last one is unparked a
// new message is not parked any more.
func TestParkBehindParksOnlyWhileTheOrderIsParked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lot, err := messagestore.NewParkingLot(testenv.DB(t), messagestore.InventoryTables)
	if err != nil {
		t.Fatal(err)
	}
	const consumer, order = "inventory", "order-1"
	msg := func() *message.Message { return message.NewMessage(uuid.NewString(), []byte(`{}`)) }

	if parked, err := lot.ParkBehind(ctx, consumer, order, "t", msg(), "behind"); err != nil || parked {
		t.Fatalf("ParkBehind on an order that is not parked: %v, %v; want false", parked, err)
	}
	first, second := msg(), msg()
	if err := lot.Park(ctx, consumer, order, "t", first, "failed"); err != nil {
		t.Fatal(err)
	}
	if parked, err := lot.ParkBehind(ctx, consumer, order, "t", second, "behind"); err != nil || !parked {
		t.Fatalf("ParkBehind on a parked order: %v, %v; want true", parked, err)
	}
	for _, want := range []*message.Message{first, second} {
		seq, got, err := lot.FirstParked(ctx, consumer, order)
		if err != nil || got == nil || got.UUID != want.UUID {
			t.Fatalf("FirstParked = %v, %v; want %s", got, err, want.UUID)
		}
		if err := lot.Unpark(ctx, consumer, order, seq); err != nil {
			t.Fatal(err)
		}
	}
	if _, got, err := lot.FirstParked(ctx, consumer, order); err != nil || got != nil {
		t.Fatalf("FirstParked after the release = %v, %v; want none", got, err)
	}
	if parked, err := lot.ParkBehind(ctx, consumer, order, "t", msg(), "behind"); err != nil || parked {
		t.Fatalf("ParkBehind after the release: %v, %v; want false", parked, err)
	}
}
