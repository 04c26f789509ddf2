package messaging

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/message"
)

// ParkingLot stores the messages a consumer sets aside, per order. It is
// implemented by adapters/postgres/messagestore.
type ParkingLot interface {
	// Park stores msg for the order; parking it again keeps the first record.
	Park(ctx context.Context, consumer, orderKey, topic string, msg *message.Message, reason string) error
	// ParkBehind parks msg only when the order is parked, checked at once
	// with the store so that a release of the order cannot slip between
	// the check and the parking; it reports whether it parked msg.
	ParkBehind(ctx context.Context, consumer, orderKey, topic string, msg *message.Message, reason string) (bool, error)
}

// requireReadable refuses, as permanent, a message this code cannot read:
// no ID, not an envelope, an unknown event type or schema version. Known
// events that no handler wants are acknowledged before the router
// (wantedOnly) or by the event processor.
func requireReadable(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		if _, err := read(msg); err != nil {
			return nil, err
		}
		return h(msg)
	}
}
