package messagestore_test

import (
	"context"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/postgres/messagestore"
	"github.com/orderflow/orders/internal/testenv"
)

// TestTheParkingLotRunsItsStatementsPrepared: once warmed up, the parking
// check every delivery passes, and parking, releasing and listing, send no
// statement with arguments unprepared.
func TestTheParkingLotRunsItsStatementsPrepared(t *testing.T) {
	t.Parallel()
	_, dbURL := testenv.DBWithURL(t)
	log := testenv.NewStatementLog(t, dbURL)
	lot, err := messagestore.NewParkingLot(log.DB, messagestore.PaymentTables)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const consumer = "payment"
	msg := func() *message.Message { return message.NewMessage(uuid.NewString(), []byte(`{}`)) }
	log.RunsPrepared(t, func() {
		order := uuid.NewString()
		if parked, err := lot.IsParked(ctx, consumer, order); err != nil || parked {
			t.Fatalf("IsParked = %v, %v; want false", parked, err)
		}
		if err := lot.Park(ctx, consumer, order, "t", msg(), "failed"); err != nil {
			t.Fatal(err)
		}
		if parked, err := lot.ParkBehind(ctx, consumer, order, "t", msg(), "behind"); err != nil || !parked {
			t.Fatalf("ParkBehind = %v, %v; want true", parked, err)
		}
		seq, first, err := lot.FirstParked(ctx, consumer, order)
		if err != nil || first == nil {
			t.Fatalf("FirstParked = %v, %v", first, err)
		}
		if err := lot.Repark(ctx, consumer, seq, "failed again"); err != nil {
			t.Fatal(err)
		}
		if err := lot.Unpark(ctx, consumer, order, seq); err != nil {
			t.Fatal(err)
		}
		if n, err := lot.CountParked(ctx, consumer); err != nil || n == 0 {
			t.Fatalf("CountParked = %d, %v", n, err)
		}
		if list, err := lot.Parked(ctx, consumer); err != nil || len(list) == 0 {
			t.Fatalf("Parked = %d messages, %v", len(list), err)
		}
	})
}
