package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/internal/contracts/envelope"
)

// ParkingLot stores the messages a consumer sets aside, per order. It is
// implemented by adapters/postgres/messagestore.
type ParkingLot interface {
	// IsParked reports whether a message of the order is parked.
	IsParked(ctx context.Context, consumer, orderKey string) (bool, error)
	// Park stores msg for the order; parking it again keeps the first record.
	Park(ctx context.Context, consumer, orderKey, topic string, msg *message.Message, reason string) error
	// ParkBehind parks msg only when the order is parked, checked at once
	// with the store so that a release of the order cannot slip between
	// the check and the parking; it reports whether it parked msg.
	ParkBehind(ctx context.Context, consumer, orderKey, topic string, msg *message.Message, reason string) (bool, error)
}

// requireReadable refuses, as permanent, a message this code cannot read:
// no ID, not an envelope, an unknown event type or schema version. Known
// events that no handler wants are acknowledged by the event processor.
func requireReadable(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		d, err := decode(msg)
		if err != nil {
			return nil, err
		}
		if typed, ok := d.Event.(interface{ EventType() string }); ok && msg.Metadata.Get(envelope.MetadataEventName) == "" {
			// The event processor dispatches on the metadata.
			msg.Metadata.Set(envelope.MetadataEventName, typed.EventType())
		}
		return h(msg)
	}
}

// parking keeps one order's messages in order when one of them fails for
// good. Before a message is handled: when its order is parked, the message
// is parked too and goes to the dead-letter topic (ErrParked), so it does
// not overtake the one that failed. After the handler (and its retries)
// failed: the message is parked, which parks its order, and then goes to
// the dead-letter topic. When the parking lot cannot be reached the message
// is neither handled nor dead-lettered but redelivered (unavailableError).
func parking(consumer string, lot ParkingLot, metrics Metrics, logger *slog.Logger) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			ctx := msg.Context()
			key := orderKey(msg)
			topic := message.SubscribeTopicFromCtx(ctx)
			if key != "" {
				parked, err := lot.IsParked(ctx, consumer, key)
				if err != nil {
					return nil, &unavailableError{err: err}
				}
				if parked {
					// Checked again with the store: a release may have
					// handled the order's last parked message meanwhile.
					parked, err = lot.ParkBehind(ctx, consumer, key, topic, msg, ErrParked.Error())
					if err != nil {
						return nil, &unavailableError{err: err}
					}
				}
				if parked {
					metrics.MessageParked(consumer, eventTypeLabel(msg))
					logger.WarnContext(ctx, "message parked behind an earlier failure of its order",
						"consumer", consumer, "order_id", key, "message_id", msg.UUID, "event", msg.Metadata.Get(envelope.MetadataEventName))
					return nil, fmt.Errorf("order %s: %w", key, ErrParked)
				}
			}

			produced, err := h(msg)
			if err == nil || !deadLetterable(err) {
				return produced, err
			}
			if key != "" {
				if perr := lot.Park(ctx, consumer, key, topic, msg, err.Error()); perr != nil {
					return nil, &unavailableError{err: errors.Join(err, perr)}
				}
				metrics.MessageParked(consumer, eventTypeLabel(msg))
			}
			logger.ErrorContext(ctx, "message failed for good; parked its order and sent it to the dead-letter topic",
				"consumer", consumer, "order_id", key, "message_id", msg.UUID,
				"event", msg.Metadata.Get(envelope.MetadataEventName), "err", err)
			return produced, err
		}
	}
}
