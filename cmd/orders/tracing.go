package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/orderflow/orders/adapters/telemetry"
)

// startTracing sets up OpenTelemetry tracing from the OTEL_* variables
// (adapters/telemetry; off unless OTEL_TRACES_EXPORTER names an exporter),
// with the service name orders-<cmd> unless OTEL_SERVICE_NAME says
// otherwise. stop exports the spans still buffered; it is never nil.
func startTracing(ctx context.Context, cmd string, logger *slog.Logger) (stop func(), err error) {
	shutdown, enabled, err := telemetry.Setup(ctx, "orders-"+cmd)
	if err != nil {
		return func() {}, err
	}
	if enabled {
		logger.Info("tracing on", "exporter", os.Getenv("OTEL_TRACES_EXPORTER"), "service", serviceName(cmd))
	}
	return func() {
		// The command's context has ended by now; the flush gets its own.
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := shutdown(flushCtx); err != nil {
			logger.Warn("spans not exported at shutdown", "err", err)
		}
	}, nil
}

func serviceName(cmd string) string {
	if name := os.Getenv("OTEL_SERVICE_NAME"); name != "" {
		return name
	}
	return "orders-" + cmd
}
