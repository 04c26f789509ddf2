// Package tracing carries one OpenTelemetry trace across the outbox hop:
// from the business transaction into the outbox row's message metadata
// (W3C traceparent and tracestate), through the forwarder into the Kafka
// record headers, and into the consumers' handling. It uses the OTel API
// only: spans go to the global TracerProvider, which adapters/telemetry
// sets up from the OTEL_* variables (a no-op one when tracing is off).
package tracing

import (
	"context"
	"sync/atomic"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName names the instrumentation scope of every span the service
// makes itself.
const ScopeName = "github.com/orderflow/orders"

// exporting says whether the process exports spans (SetExporting).
var exporting atomic.Bool

// SetExporting records whether the global TracerProvider exports spans:
// adapters/telemetry sets it when OTEL_TRACES_EXPORTER names an exporter,
// and a test that installs a provider of its own sets it too.
func SetExporting(on bool) { exporting.Store(on) }

// Exporting reports whether spans are exported. Instrumentation whose only
// product is spans skips its work when they are not.
func Exporting() bool { return exporting.Load() }

// Tracer is the service's tracer on the global TracerProvider. Taken at
// each use, so a provider set after start-up (or in a test) is used.
func Tracer() trace.Tracer { return otel.Tracer(ScopeName) }

// metadataCarrier lets the global propagator read and write a message's
// metadata; Watermill's Kafka marshaler turns metadata into record headers
// and back, so the same keys travel on Kafka.
type metadataCarrier message.Metadata

func (c metadataCarrier) Get(key string) string { return c[key] }
func (c metadataCarrier) Set(key, value string) { c[key] = value }
func (c metadataCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// Inject writes ctx's trace context (traceparent, tracestate, baggage)
// into the metadata of msgs. Without an active span it writes nothing.
func Inject(ctx context.Context, msgs ...*message.Message) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return
	}
	propagator := otel.GetTextMapPropagator()
	for _, msg := range msgs {
		if msg.Metadata == nil {
			msg.Metadata = message.Metadata{}
		}
		propagator.Inject(ctx, metadataCarrier(msg.Metadata))
	}
}

// Extract returns ctx continuing the trace context msg's metadata carries.
func Extract(ctx context.Context, msg *message.Message) context.Context {
	return otel.GetTextMapPropagator().Extract(ctx, metadataCarrier(msg.Metadata))
}

// End ends span, marking it failed when err is not nil.
func End(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// Spans opens the spans of the application's commands and queries (it
// implements app/decorator.Tracer).
type Spans struct{}

// Start opens a span named name under ctx's span; end ends it.
func (Spans) Start(ctx context.Context, name string) (_ context.Context, end func(error)) {
	ctx, span := Tracer().Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal))
	return ctx, func(err error) { End(span, err) }
}
