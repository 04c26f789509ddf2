package decorator_test

import (
	"bytes"
	"context"
	"errors"
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
			h := decorator.ApplyCommandDecorators[cancelThing](handlerFunc(func(context.Context, cancelThing) error { return tt.err }), logger, metrics)

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
	}), slog.New(slog.DiscardHandler), metrics)

	got, err := h.Handle(context.Background(), lookUp{ID: "x"})

	if err != nil || got != "found x" {
		t.Errorf("Handle = %q, %v; want the inner handler's answer", got, err)
	}
	if len(metrics.observed) != 1 || metrics.observed[0] != "query lookUp ok" {
		t.Errorf("observed %v", metrics.observed)
	}
}
