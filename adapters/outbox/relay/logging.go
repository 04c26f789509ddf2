package relay

import "github.com/ThreeDotsLabs/watermill"

// quietLogger passes on info and errors and drops trace and debug logs.
// Watermill's subscriber and router log each message at those levels,
// and build the log fields (and, through With, a new logger) before the
// logger can tell that the level is off: quietLogger skips that work, and
// applies the fields With adds only when something is logged.
type quietLogger struct {
	next   watermill.LoggerAdapter
	fields watermill.LogFields
}

func quiet(logger watermill.LoggerAdapter) watermill.LoggerAdapter {
	return quietLogger{next: logger}
}

func (l quietLogger) Error(msg string, err error, fields watermill.LogFields) {
	l.next.Error(msg, err, l.fields.Add(fields))
}

func (l quietLogger) Info(msg string, fields watermill.LogFields) {
	l.next.Info(msg, l.fields.Add(fields))
}

func (quietLogger) Debug(string, watermill.LogFields) {}

func (quietLogger) Trace(string, watermill.LogFields) {}

func (l quietLogger) With(fields watermill.LogFields) watermill.LoggerAdapter {
	return quietLogger{next: l.next, fields: l.fields.Add(fields)}
}
