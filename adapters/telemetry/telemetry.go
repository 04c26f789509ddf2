// Package telemetry sets up the process's OpenTelemetry tracing from the
// standard OTEL_* environment variables: the exporter (OTEL_TRACES_EXPORTER:
// otlp, console or none; none by default here, unlike the specification),
// its endpoint and protocol (OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf or grpc), the service name
// (OTEL_SERVICE_NAME) and the sampler (OTEL_TRACES_SAMPLER). The W3C trace
// context and baggage propagators are set globally either way, so a trace
// a client starts is carried on even when this process exports nothing.
package telemetry

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/orderflow/orders/platform/tracing"
)

// Setup sets the global propagator and, when OTEL_TRACES_EXPORTER names an
// exporter, the global TracerProvider; defaultService is the service name
// when OTEL_SERVICE_NAME is unset. shutdown flushes the spans not yet
// exported; it is never nil. enabled says whether spans are exported.
func Setup(ctx context.Context, defaultService string) (shutdown func(context.Context) error, enabled bool, err error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	noop := func(context.Context) error { return nil }
	switch strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER")) {
	case "", "none":
		return noop, false, nil
	}
	exporter, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return noop, false, fmt.Errorf("trace exporter (OTEL_TRACES_EXPORTER): %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(defaultService)),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
		resource.WithTelemetrySDK(),
	)
	if err != nil {
		return noop, false, fmt.Errorf("trace resource: %w", err)
	}
	// The sampler comes from OTEL_TRACES_SAMPLER (parent-based, always on,
	// by default): a span continues its parent's sampling decision.
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	otel.SetTracerProvider(provider)
	tracing.SetExporting(true)
	return provider.Shutdown, true, nil
}
