package forwarder

import (
	"context"
	"errors"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill"
)

// quietLogger passes on errors, logs info at debug level and drops trace
// and debug logs. Watermill's subscriber and router log each message at
// trace and debug level, and build the log fields (and, through With, a
// new logger) before the logger can tell that the level is off:
// quietLogger skips that work, and applies the fields With adds only when
// something is logged. Their info lines (a subscriber or router of each
// shard starting and stopping) are details of the forwarder's start-up summary.
type quietLogger struct {
	next   watermill.LoggerAdapter
	fields watermill.LogFields
}

func quiet(logger watermill.LoggerAdapter) watermill.LoggerAdapter {
	return quietLogger{next: logger}
}

// Error passes errors on, except a canceled context's: the subscriber's
// context ends only when the forwarder stops, and a transaction it ends is
// rolled back, so the batch is read again by the next forwarder to hold the
// shard. Watermill logs the commit of a cycle cut short that way as an
// error; it is a detail of the shutdown.
func (l quietLogger) Error(msg string, err error, fields watermill.LogFields) {
	if errors.Is(err, context.Canceled) {
		l.next.Debug(msg, l.fields.Add(fields).Add(watermill.LogFields{"err": err}))
		return
	}
	l.next.Error(msg, err, l.fields.Add(fields))
}

func (l quietLogger) Info(msg string, fields watermill.LogFields) {
	l.next.Debug(msg, l.fields.Add(fields))
}

func (quietLogger) Debug(string, watermill.LogFields) {}

func (quietLogger) Trace(string, watermill.LogFields) {}

func (l quietLogger) With(fields watermill.LogFields) watermill.LoggerAdapter {
	return quietLogger{next: l.next, fields: l.fields.Add(fields)}
}

// Warner is a logger that also has a warning level; Watermill's
// LoggerAdapter has none. The forwarder warns through it about stalls and
// lost leases, and logs them as errors through a logger without it.
type Warner interface {
	Warn(msg string, fields watermill.LogFields)
}

// SlogLogger is Watermill's slog adapter with a warning level.
type SlogLogger struct {
	watermill.LoggerAdapter
	slog *slog.Logger
}

// NewSlogLogger returns the forwarder's logger writing to logger.
func NewSlogLogger(logger *slog.Logger) SlogLogger {
	return SlogLogger{LoggerAdapter: watermill.NewSlogLogger(logger), slog: logger}
}

// Warn logs at slog's warning level.
func (l SlogLogger) Warn(msg string, fields watermill.LogFields) {
	args := make([]any, 0, 2*len(fields))
	for k, v := range fields {
		args = append(args, k, v)
	}
	l.slog.Warn(msg, args...)
}

func warn(logger watermill.LoggerAdapter, msg string, fields watermill.LogFields) {
	if w, ok := logger.(Warner); ok {
		w.Warn(msg, fields)
		return
	}
	logger.Error(msg, nil, fields)
}
