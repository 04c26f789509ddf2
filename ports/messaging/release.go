package messaging

import (
	"context"
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
)

// ReleaseLot is the parking lot as a release reads and empties it. It is
// implemented by adapters/postgres/messagestore.
type ReleaseLot interface {
	// FirstParked returns the order's parked message that came first (the
	// lowest seq), or a nil message when none is parked.
	FirstParked(ctx context.Context, consumer, orderKey string) (seq int64, msg *message.Message, err error)
	// Unpark deletes the parked message seq, serialised with ParkBehind
	// on the same order: a message parked behind it is seen by the next
	// FirstParked, or not parked at all.
	Unpark(ctx context.Context, consumer, orderKey string, seq int64) error
	// Repark records why the parked message seq failed again.
	Repark(ctx context.Context, consumer string, seq int64, reason string) error
}

// ErrNotParked: the consumer has no parked message of the order.
var ErrNotParked = errors.New("no parked messages of the order")

// Release hands the order's parked messages to the consumer's handlers
// again, one at a time in the order they were parked, and deletes each
// one that went through; the order is unparked when none is left. Messages
// the running consumer parks behind them meanwhile are released too, in
// turn, so the order's messages keep their order.
//
// When a message fails again it stays parked, with the new reason, and so
// do the ones after it; Release returns the error. A release interrupted
// after a message's effect but before its deletion hands it over again
// next time, and the inbox acknowledges it as a duplicate.
//
// It returns how many messages went through; ErrNotParked when none was
// parked.
func Release(ctx context.Context, lot ReleaseLot, handlers Handlers, orderKey string) (int, error) {
	consumer := handlers.consumer
	released := 0
	for {
		seq, msg, err := lot.FirstParked(ctx, consumer, orderKey)
		if err != nil {
			return released, err
		}
		if msg == nil {
			if released == 0 {
				return 0, fmt.Errorf("%s, order %s: %w", consumer, orderKey, ErrNotParked)
			}
			return released, nil
		}
		if err := handlers.handle(ctx, msg); err != nil {
			if rerr := lot.Repark(ctx, consumer, seq, err.Error()); rerr != nil {
				err = errors.Join(err, rerr)
			}
			return released, fmt.Errorf("%s, order %s: message %s (%s) failed again; the order stays parked from it on: %w",
				consumer, orderKey, msg.UUID, eventTypeLabel(msg), err)
		}
		if err := lot.Unpark(ctx, consumer, orderKey, seq); err != nil {
			return released, err
		}
		released++
	}
}
