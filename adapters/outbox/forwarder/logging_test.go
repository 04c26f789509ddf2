package forwarder

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
)

// TestQuietLoggerLogsAStoppingForwardersCanceledCommitAtDebug: an error passes on as an
// error; one that is the forwarder's context ending (Watermill's subscriber
// committing a cycle cut short at shutdown) goes to debug.
func TestQuietLoggerLogsAStoppingForwardersCanceledCommitAtDebug(t *testing.T) {
	captured := watermill.NewCaptureLogger()
	logger := quiet(captured).With(watermill.LogFields{"topic": "orders_outbox_0_of_1"})

	logger.Error("could not commit tx for querying message", context.Canceled, nil)
	logger.Error("could not query message", fmt.Errorf("read: %w", errors.New("connection reset")), nil)

	got := captured.Captured()
	if n := len(got[watermill.ErrorLogLevel]); n != 1 || got[watermill.ErrorLogLevel][0].Msg != "could not query message" {
		t.Errorf("errors logged: %+v; want only the connection reset", got[watermill.ErrorLogLevel])
	}
	if n := len(got[watermill.DebugLogLevel]); n != 1 || got[watermill.DebugLogLevel][0].Fields["topic"] != "orders_outbox_0_of_1" {
		t.Errorf("debug lines: %+v; want the canceled commit, with its topic", got[watermill.DebugLogLevel])
	}
}
