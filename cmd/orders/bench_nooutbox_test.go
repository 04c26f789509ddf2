//go:build benchnooutbox

package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestBenchmarkBuildHasTheOutboxSwitch(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	c, err := configFrom(map[string]string{"OUTBOX_DISABLED": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.bench.apiOutbox(logger).(discardOutbox); !ok {
		t.Error("OUTBOX_DISABLED=true does not replace the API's outbox")
	}
	if c, _ = configFrom(nil); c.bench.apiOutbox(logger) != nil {
		t.Error("without OUTBOX_DISABLED the API does not write through the real outbox")
	}
	_, err = configFrom(map[string]string{"OUTBOX_DISABLED": "maybe"})
	if err == nil || !strings.Contains(err.Error(), `OUTBOX_DISABLED: want true or false, got "maybe"`) {
		t.Errorf("OUTBOX_DISABLED=maybe: got %v", err)
	}
}
