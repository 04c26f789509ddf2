package service

import (
	"log/slog"

	"github.com/orderflow/orders/adapters/metrics"
	"github.com/orderflow/orders/app/command"
	"github.com/orderflow/orders/app/decorator"
)

// Telemetry is what the applications' decorators report to: the process's
// logger and its metrics client.
type Telemetry struct {
	Logger  *slog.Logger
	Metrics decorator.MetricsClient
	// Store counts the order store's version conflicts and idempotent
	// replays; nil counts nothing.
	Store command.StoreMetrics
}

// withDefaults fills what is missing: slog's default logger, no metrics
// (tests and tools).
func (t Telemetry) withDefaults() Telemetry {
	if t.Logger == nil {
		t.Logger = slog.Default()
	}
	if t.Metrics == nil {
		t.Metrics = metrics.NoOp{}
	}
	return t
}
