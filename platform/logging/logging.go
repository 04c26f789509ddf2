// Package logging is the process's slog set-up shared by every layer: a
// handler that adds to each line what its context knows of the flow it
// belongs to (the correlation ID, the trace and span IDs), and the
// Watermill logger, whose own info lines are details (logged at debug).
package logging

import (
	"context"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill"
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orders/platform/correlation"
)

// Keys of the attributes ContextHandler adds.
const (
	KeyCorrelationID = "correlation_id"
	KeyTraceID       = "trace_id"
	KeySpanID        = "span_id"
)

// ContextHandler adds to each record logged with a context (slog's
// *Context functions, or Log) the correlation ID and the active span's
// trace and span IDs, so that every line of one request or message can be
// found together and next to its trace.
type ContextHandler struct{ slog.Handler }

// NewContextHandler wraps next.
func NewContextHandler(next slog.Handler) ContextHandler { return ContextHandler{Handler: next} }

// Handle implements slog.Handler.
func (h ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := correlation.ID(ctx); id != "" {
		r.AddAttrs(slog.String(KeyCorrelationID, id))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String(KeyTraceID, sc.TraceID().String()), slog.String(KeySpanID, sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h ContextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return ContextHandler{Handler: h.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h ContextHandler) WithGroup(name string) slog.Handler {
	return ContextHandler{Handler: h.Handler.WithGroup(name)}
}

// Watermill returns Watermill's slog adapter on logger with Watermill's
// info lines (each router handler, subscriber and publisher starting and
// stopping) at debug level: the process logs its own short summary.
func Watermill(logger *slog.Logger) watermill.LoggerAdapter {
	return watermill.NewSlogLoggerWithLevelMapping(logger, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
}
