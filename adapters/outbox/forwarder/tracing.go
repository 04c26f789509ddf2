package forwarder

import (
	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/platform/tracing"
)

// startForward opens the span of one message's trip to Kafka, a child of
// the writer's span whose context the outbox row carries, and puts its
// own context into the message's metadata, so the Kafka record's
// traceparent header names it and the consumers continue from it. A
// message without a trace context (written while tracing was off) is
// sent as it is: no new trace is started for it. end ends the span when
// the broker answered.
func startForward(topic string, msg *message.Message) (end func(error)) {
	parent := tracing.Extract(msg.Context(), msg)
	if !trace.SpanContextFromContext(parent).IsValid() {
		return func(error) {}
	}
	ctx, span := tracing.Tracer().Start(parent, "outbox forward "+topic,
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			attribute.String("messaging.system", "kafka"),
			attribute.String("messaging.operation.type", "send"),
			attribute.String("messaging.destination.name", topic),
			attribute.String("messaging.message.id", msg.UUID),
			attribute.String("messaging.kafka.message.key", msg.Metadata.Get(outbox.MetadataPartitionKey)),
		))
	tracing.Inject(ctx, msg)
	return func(err error) { tracing.End(span, err) }
}
