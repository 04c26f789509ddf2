package messaging

import (
	"context"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/orderflow/orders/platform/contracts/envelope"
	"github.com/orderflow/orders/platform/correlation"
	"github.com/orderflow/orders/platform/tracing"
)

// handlerGroup is the handlers of one subscribed topic: one router handler
// on one subscription, so that one order's events are handled in order.
type handlerGroup struct {
	name     string
	topic    string
	handlers []cqrs.GroupEventHandler
}

// addGroups registers each group on the router, subscribed to its topic.
func addGroups(router *message.Router, subscriber message.Subscriber, logger *slog.Logger, groups ...handlerGroup) error {
	topics := make(map[string]string, len(groups))
	for _, g := range groups {
		topics[g.name] = g.topic
	}
	processor, err := newEventProcessor(router, subscriber, topics, logger)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if err := processor.AddHandlersGroup(g.name, g.handlers...); err != nil {
			return err
		}
	}
	return nil
}

// Handlers are one consumer's event handlers outside its router: Release
// runs a parked message through them again.
type Handlers struct {
	consumer string
	byEvent  map[string]cqrs.GroupEventHandler
}

func newHandlers(consumer string, handlers []cqrs.GroupEventHandler) Handlers {
	byEvent := make(map[string]cqrs.GroupEventHandler, len(handlers))
	for _, h := range handlers {
		byEvent[marshaler{}.Name(h.NewEvent())] = h
	}
	return Handlers{consumer: consumer, byEvent: byEvent}
}

// Consumer names the consumer the handlers are of.
func (h Handlers) Consumer() string { return h.consumer }

// handle runs msg through the handler of its event type, with the router's
// innermost middleware (a panic becomes an error, the correlation ID goes
// into the context, an unreadable message fails), in a span continuing
// the message's trace. An event no handler wants is done, as in the
// router.
func (h Handlers) handle(ctx context.Context, msg *message.Message) error {
	msg.SetContext(ctx)
	run := tracing.Consumer(h.consumer, eventName)(middleware.Recoverer(correlation.Watermill(requireReadable(h.dispatch)))) //nolint:contextcheck // the handlers run on the message's context, which is ctx
	_, err := run(msg)
	return err
}

func (h Handlers) dispatch(msg *message.Message) ([]*message.Message, error) {
	handler, ok := h.byEvent[msg.Metadata.Get(envelope.MetadataEventName)]
	if !ok {
		return nil, nil
	}
	event := handler.NewEvent()
	if err := (marshaler{}).Unmarshal(msg, event); err != nil {
		return nil, err
	}
	return nil, handler.Handle(msg.Context(), event)
}

// eventName names a message's event in its span: the envelope's event name.
func eventName(msg *message.Message) string {
	return msg.Metadata.Get(envelope.MetadataEventName)
}
