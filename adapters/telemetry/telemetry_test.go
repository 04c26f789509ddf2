package telemetry_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"

	"github.com/orderflow/orders/adapters/telemetry"
)

func TestTracingIsOffUnlessAnExporterIsNamed(t *testing.T) {
	for _, tt := range []struct {
		exporter    string
		wantEnabled bool
		wantErr     bool
	}{
		{"", false, false},
		{"none", false, false},
		{"console", true, false},
		{"otlp", true, false}, // connects lazily: no collector needed to start
		{"zipkin-please", false, true},
	} {
		t.Run(tt.exporter, func(t *testing.T) {
			t.Setenv("OTEL_TRACES_EXPORTER", tt.exporter)
			shutdown, enabled, err := telemetry.Setup(context.Background(), "orders-test")
			if (err != nil) != tt.wantErr || enabled != tt.wantEnabled {
				t.Fatalf("Setup: enabled %v, err %v; want enabled %v, an error %v", enabled, err, tt.wantEnabled, tt.wantErr)
			}
			if got := otel.GetTextMapPropagator().Fields(); len(got) < 2 {
				t.Errorf("propagator fields %v, want traceparent, tracestate and baggage", got)
			}
			if err := shutdown(context.Background()); err != nil && tt.exporter != "otlp" {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
}
