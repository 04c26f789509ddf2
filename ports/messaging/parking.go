package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/platform/contracts/envelope"
)

// parkingCheckKey carries, in a message's context, the order whose parked
// messages refuse it: the handlers put it into their inbox keys.
type parkingCheckKey struct{}

// maxParkingChecks bounds how often a message may find its order parked
// in its transaction and then not parked any more (a release emptied it
// in between) before it is redelivered instead.
const maxParkingChecks = 3

// parking keeps one order's messages in order when one of them fails for
// good.
//
// Whether the order is parked is not read on its own before the message:
// the handlers' repositories read it in the statement that records the
// message in the inbox, the first of the effect's transaction (inbox.Key's
// OrderKey), so a message of an order that is not parked costs no round
// trip of its own. When the order is parked (inbox.ErrParked), the message
// is parked behind it, checked again under the order's lock, and goes to
// the dead-letter topic (ErrParked), so it does not overtake the one that
// failed; when a release emptied the order in between, the message is
// handled again.
//
// After the handler (and its retries) failed otherwise: the message is
// parked, which parks its order, and then goes to the dead-letter topic.
// When the parking lot cannot be reached the message is neither handled
// nor dead-lettered but redelivered (unavailableError).
func parking(consumer string, lot ParkingLot, metrics Metrics, logger *slog.Logger) message.HandlerMiddleware {
	p := parker{consumer: consumer, lot: lot, metrics: metrics, logger: logger}
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			key := orderKey(msg)
			if key == "" {
				produced, err := h(msg)
				return produced, p.failed(msg, "", err)
			}
			msg.SetContext(context.WithValue(msg.Context(), parkingCheckKey{}, key))
			for range maxParkingChecks {
				produced, err := h(msg)
				if !errors.Is(err, inbox.ErrParked) {
					return produced, p.failed(msg, key, err)
				}
				if parked, err := p.parkBehind(msg, key); parked || err != nil {
					return nil, err
				}
			}
			return nil, &unavailableError{err: fmt.Errorf("order %s was released %d times while message %s was handled", key, maxParkingChecks, msg.UUID)}
		}
	}
}

// parker parks a consumer's messages.
type parker struct {
	consumer string
	lot      ParkingLot
	metrics  Metrics
	logger   *slog.Logger
}

// parkBehind parks msg, whose transaction found its order parked, behind
// the order's parked messages, and reports whether it did: not when a
// release emptied the order meanwhile. A parked message's error is
// ErrParked.
func (p parker) parkBehind(msg *message.Message, key string) (bool, error) {
	ctx := msg.Context()
	parked, err := p.lot.ParkBehind(ctx, p.consumer, key, message.SubscribeTopicFromCtx(ctx), msg, ErrParked.Error())
	if err != nil {
		return false, &unavailableError{err: err}
	}
	if !parked {
		return false, nil
	}
	p.metrics.MessageParked(p.consumer, eventTypeLabel(msg))
	p.logger.WarnContext(ctx, "message parked behind an earlier failure of its order",
		"consumer", p.consumer, "order_id", key, "message_id", msg.UUID, "event", msg.Metadata.Get(envelope.MetadataEventName))
	return true, fmt.Errorf("order %s: %w", key, ErrParked)
}

// failed returns the handler's error err; when it is for good, the message
// is parked first, which parks its order (none without a key).
func (p parker) failed(msg *message.Message, key string, err error) error {
	if err == nil || !deadLetterable(err) {
		return err
	}
	ctx := msg.Context()
	if key != "" {
		if perr := p.lot.Park(ctx, p.consumer, key, message.SubscribeTopicFromCtx(ctx), msg, err.Error()); perr != nil {
			return &unavailableError{err: errors.Join(err, perr)}
		}
		p.metrics.MessageParked(p.consumer, eventTypeLabel(msg))
	}
	p.logger.ErrorContext(ctx, "message failed for good; parked its order and sent it to the dead-letter topic",
		"consumer", p.consumer, "order_id", key, "message_id", msg.UUID,
		"event", msg.Metadata.Get(envelope.MetadataEventName), "err", err)
	return err
}
