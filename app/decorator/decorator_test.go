package decorator_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orders/app/decorator"
)

type cancelThing struct{ ID string }

type handlerFunc func(ctx context.Context, cmd cancelThing) error

func (f handlerFunc) Handle(ctx context.Context, cmd cancelThing) error { return f(ctx, cmd) }

type recordedMetrics struct{ observed []string }

func (m *recordedMetrics) Observe(kind, action string, _ time.Duration, failed bool) {
	outcome := "ok"
	if failed {
		outcome = "failed"
	}
	m.observed = append(m.observed, kind+" "+action+" "+outcome)
}

func TestCommandDecoratorsMeasureAndLogEachCommandOnce(t *testing.T) {
	boom := errors.New("boom")
	for _, tt := range []struct {
		name     string
		err      error
		wantLog  string
		wantSeen string
	}{
		{"success", nil, `level=DEBUG msg="command handled" command=cancelThing`, "command cancelThing ok"},
		{"failure", boom, `level=INFO msg="command failed" command=cancelThing`, "command cancelThing failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			metrics := &recordedMetrics{}
			h := decorator.ApplyCommandDecorators[cancelThing](handlerFunc(func(context.Context, cancelThing) error { return tt.err }), logger, metrics, nil)

			err := h.Handle(context.Background(), cancelThing{ID: "o-1"})

			if !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want the handler's %v", err, tt.err)
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tt.wantLog) || !strings.Contains(lines[0], "o-1") {
				t.Errorf("logged %q, want one line with %q and the command", lines, tt.wantLog)
			}
			if len(metrics.observed) != 1 || metrics.observed[0] != tt.wantSeen {
				t.Errorf("observed %v, want [%s]", metrics.observed, tt.wantSeen)
			}
		})
	}
}

type lookUp struct{ ID string }

type queryFunc func(ctx context.Context, q lookUp) (string, error)

func (f queryFunc) Handle(ctx context.Context, q lookUp) (string, error) { return f(ctx, q) }

func TestQueryDecoratorsPassTheResultThrough(t *testing.T) {
	metrics := &recordedMetrics{}
	h := decorator.ApplyQueryDecorators[lookUp, string](queryFunc(func(_ context.Context, q lookUp) (string, error) {
		return "found " + q.ID, nil
	}), slog.New(slog.DiscardHandler), metrics, nil)

	got, err := h.Handle(context.Background(), lookUp{ID: "x"})

	if err != nil || got != "found x" {
		t.Errorf("Handle = %q, %v; want the inner handler's answer", got, err)
	}
	if len(metrics.observed) != 1 || metrics.observed[0] != "query lookUp ok" {
		t.Errorf("observed %v", metrics.observed)
	}
}

// recordedSpans is a Tracer that records the spans opened and how they ended.
type recordedSpans struct{ spans []string }

type spanKey struct{}

func (r *recordedSpans) Start(ctx context.Context, name string) (context.Context, func(error)) {
	return context.WithValue(ctx, spanKey{}, name), func(err error) {
		r.spans = append(r.spans, fmt.Sprintf("%s failed=%v", name, err != nil))
	}
}

func TestCommandsRunInASpanOfTheirName(t *testing.T) {
	tracer := &recordedSpans{}
	var inSpan any
	h := decorator.ApplyCommandDecorators[cancelThing](handlerFunc(func(ctx context.Context, _ cancelThing) error {
		inSpan = ctx.Value(spanKey{})
		return errors.New("refused")
	}), slog.New(slog.DiscardHandler), nil, tracer)

	_ = h.Handle(context.Background(), cancelThing{})

	if inSpan != "command cancelThing" {
		t.Errorf("the handler ran in span %v, want command cancelThing", inSpan)
	}
	if len(tracer.spans) != 1 || tracer.spans[0] != "command cancelThing failed=true" {
		t.Errorf("spans %v, want one failed command cancelThing", tracer.spans)
	}
}
