package service

import (
	"log/slog"

	"github.com/orderflow/orders/adapters/metrics"
	"github.com/orderflow/orders/app/decorator"
	"github.com/orderflow/orders/app/order/command"
	"github.com/orderflow/orders/platform/tracing"
)

// Telemetry is what the applications' decorators report to: the process's
// logger, its metrics client and its tracer.
type Telemetry struct {
	Logger  *slog.Logger
	Metrics decorator.MetricsClient
	// Store counts the order store's version conflicts and idempotent
	// replays; nil counts nothing.
	Store command.StoreMetrics
	// Tracer opens the commands' and queries' spans; nil means
	// OpenTelemetry's global TracerProvider (a no-op unless tracing is on).
	Tracer decorator.Tracer
}

// withDefaults fills what is missing: slog's default logger, no metrics
// (tests and tools), the global tracer.
func (t Telemetry) withDefaults() Telemetry {
	if t.Logger == nil {
		t.Logger = slog.Default()
	}
	if t.Metrics == nil {
		t.Metrics = metrics.NoOp{}
	}
	if t.Tracer == nil {
		t.Tracer = tracing.Spans{}
	}
	return t
}
