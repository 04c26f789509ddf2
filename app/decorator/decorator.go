// Package decorator wraps the application's handlers with what every one of
// them needs, logging and metrics, so that no handler repeats it. Handlers
// are seen through three small generic interfaces; ApplyCommandDecorators
// and its siblings are the one place the decorators are put around them.
package decorator

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// CommandHandler handles a command that changes state and answers only
// whether it did.
type CommandHandler[C any] interface {
	Handle(ctx context.Context, cmd C) error
}

// CommandHandlerWithResult handles a command whose caller needs an answer
// beyond success, such as the ID of the order a request stands for.
type CommandHandlerWithResult[C, R any] interface {
	Handle(ctx context.Context, cmd C) (R, error)
}

// QueryHandler answers a query without changing state.
type QueryHandler[Q, R any] interface {
	Handle(ctx context.Context, q Q) (R, error)
}

// MetricsClient records each handled command and query. The application
// declares what it needs; adapters implement it (Prometheus, or nothing).
type MetricsClient interface {
	// Observe records one run of action ("PlaceOrder") of kind ("command"
	// or "query"): how long it took and whether it failed.
	Observe(kind, action string, took time.Duration, failed bool)
}

// Tracer opens a span around each handled command and query, so that the
// work of one (its transaction, the events it puts into the outbox) is
// part of the caller's trace. Adapters implement it (OpenTelemetry, or
// nothing).
type Tracer interface {
	// Start opens a span named name under ctx's span and returns ctx with
	// it; end ends it, marked failed when err is not nil.
	Start(ctx context.Context, name string) (_ context.Context, end func(err error))
}

// ApplyCommandDecorators returns handler wrapped so that every command is
// traced, measured and then logged once. A nil tracer traces nothing.
func ApplyCommandDecorators[C any](handler CommandHandler[C], logger *slog.Logger, metrics MetricsClient, tracer Tracer) CommandHandler[C] {
	return commandDecorator[C]{base: handler, observer: newObserver[C]("command", logger, metrics, tracer)}
}

// ApplyCommandWithResultDecorators is ApplyCommandDecorators for a command
// that returns a result.
func ApplyCommandWithResultDecorators[C, R any](handler CommandHandlerWithResult[C, R], logger *slog.Logger, metrics MetricsClient, tracer Tracer) CommandHandlerWithResult[C, R] {
	return resultDecorator[C, R]{base: handler, observer: newObserver[C]("command", logger, metrics, tracer)}
}

// ApplyQueryDecorators returns handler wrapped so that every query is
// traced, measured and then logged once.
func ApplyQueryDecorators[Q, R any](handler QueryHandler[Q, R], logger *slog.Logger, metrics MetricsClient, tracer Tracer) QueryHandler[Q, R] {
	return resultDecorator[Q, R]{base: handler, observer: newObserver[Q]("query", logger, metrics, tracer)}
}

type commandDecorator[C any] struct {
	base     CommandHandler[C]
	observer observer
}

func (d commandDecorator[C]) Handle(ctx context.Context, cmd C) (err error) {
	ctx, end := d.observer.tracer.Start(ctx, d.observer.kind+" "+d.observer.action)
	defer d.observer.done(ctx, cmd, time.Now(), end, &err)
	return d.base.Handle(ctx, cmd)
}

// resultDecorator serves both result-returning commands and queries: the
// two interfaces have the same method.
type resultDecorator[C, R any] struct {
	base interface {
		Handle(ctx context.Context, cmd C) (R, error)
	}
	observer observer
}

func (d resultDecorator[C, R]) Handle(ctx context.Context, cmd C) (_ R, err error) {
	ctx, end := d.observer.tracer.Start(ctx, d.observer.kind+" "+d.observer.action)
	defer d.observer.done(ctx, cmd, time.Now(), end, &err)
	return d.base.Handle(ctx, cmd)
}

// observer is the decorator pair's common part: one span, one metric and
// one log line per handled command or query.
type observer struct {
	kind, action string
	logger       *slog.Logger
	metrics      MetricsClient
	tracer       Tracer
}

func newObserver[T any](kind string, logger *slog.Logger, metrics MetricsClient, tracer Tracer) observer {
	if logger == nil {
		logger = slog.Default()
	}
	if metrics == nil {
		metrics = noMetrics{}
	}
	if tracer == nil {
		tracer = noTracer{}
	}
	return observer{kind: kind, action: actionName[T](), logger: logger, metrics: metrics, tracer: tracer}
}

// done records a finished run. A failure is logged at Info, not Error: most
// are answers (not found, a conflict, an invalid order) that the port turns
// into a response; the port logs what is an incident.
func (o observer) done(ctx context.Context, input any, start time.Time, endSpan func(error), errp *error) {
	took := time.Since(start)
	err := *errp
	endSpan(err)
	o.metrics.Observe(o.kind, o.action, took, err != nil)
	attrs := []any{o.kind, o.action, "took", took, "input", fmt.Sprintf("%+v", input)}
	if err != nil {
		o.logger.InfoContext(ctx, o.kind+" failed", append(attrs, "err", err)...)
		return
	}
	o.logger.DebugContext(ctx, o.kind+" handled", attrs...)
}

// actionName is the command's or query's type name without its package:
// "PlaceOrder" for command.PlaceOrder.
func actionName[T any]() string {
	name := fmt.Sprintf("%T", *new(T))
	return name[strings.LastIndex(name, ".")+1:]
}

type noMetrics struct{}

func (noMetrics) Observe(string, string, time.Duration, bool) {}

type noTracer struct{}

func (noTracer) Start(ctx context.Context, _ string) (context.Context, func(error)) {
	return ctx, func(error) {}
}
