package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestTheOldForwarderFlagsStillWorkAndWarn: -relay and -relay-args, the
// old names of -forwarder and -forwarder-args, still set them, with a
// WARN; the new names win without one.
func TestTheOldForwarderFlagsStillWorkAndWarn(t *testing.T) {
	for _, c := range []struct{ name, old, value string }{
		{"forwarder", "relay", "false"},
		{"forwarder-args", "relay-args", "-backlogs 1000"},
	} {
		var log bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&log, nil))
		if got := renamedFlag(logger, c.name, "", c.old, c.value); got != c.value {
			t.Errorf("-%s %q: -%s is %q, want %q", c.old, c.value, c.name, got, c.value)
		}
		if out := log.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "-"+c.old+" is deprecated") || !strings.Contains(out, "use -"+c.name+" instead") {
			t.Errorf("-%s: want a WARN naming -%s, got %q", c.old, c.name, out)
		}
		log.Reset()
		if got := renamedFlag(logger, c.name, "new", c.old, c.value); got != "new" || log.Len() != 0 {
			t.Errorf("-%s and -%s: got %q and log %q, want the new flag's value and no warning", c.name, c.old, got, log.String())
		}
	}
}
