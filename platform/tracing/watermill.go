package tracing

import (
	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Consumer is router middleware that handles each message in a span of
// its own, "<consumer> process <event>", continuing the trace the
// message's metadata carries (the forwarder's span, or the writer's): the
// handler's commands, and the events they put into an outbox, are in the
// same trace. eventName names the message's event for the span name.
func Consumer(consumer string, eventName func(*message.Message) string) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			ctx := Extract(msg.Context(), msg)
			ctx, span := Tracer().Start(ctx, consumer+" process "+eventName(msg),
				trace.WithSpanKind(trace.SpanKindConsumer),
				trace.WithAttributes(
					attribute.String("messaging.system", "kafka"),
					attribute.String("messaging.operation.type", "process"),
					attribute.String("messaging.destination.name", message.SubscribeTopicFromCtx(ctx)),
					attribute.String("messaging.consumer.group.name", consumer),
					attribute.String("messaging.message.id", msg.UUID),
				))
			msg.SetContext(ctx)
			produced, err := h(msg)
			End(span, err)
			return produced, err
		}
	}
}
