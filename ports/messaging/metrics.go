package messaging

import (
	"context"
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/app/inbox"
	"github.com/orderflow/orders/platform/contracts/envelope"
	"github.com/orderflow/orders/platform/contracts/inventoryevents"
	"github.com/orderflow/orders/platform/contracts/orderevents"
	"github.com/orderflow/orders/platform/contracts/paymentevents"
)

// Metrics counts what a consumer does with its messages. The port declares
// what it records; adapters/metrics implements it (Prometheus). eventType
// is a known event type or "unknown".
type Metrics interface {
	// MessageHandled: the handlers are done with the message and it is
	// acknowledged (a duplicate or an expected no-op included).
	MessageHandled(consumer, eventType string)
	// MessageDuplicate: the inbox already held the message.
	MessageDuplicate(consumer, eventType string)
	// HandlerRan: one run of the handlers on a message, how long it took
	// and whether it failed (a failure is retried unless permanent).
	HandlerRan(consumer, eventType string, took time.Duration, failed bool)
	// MessageParked: the message was stored in the parking lot.
	MessageParked(consumer, eventType string)
	// MessageDeadLettered: the message goes to the dead-letter topic.
	MessageDeadLettered(consumer, eventType string)
	// BatchEnded: a batch of size messages (two or more) committed, or
	// rolled back and left its messages to run alone.
	BatchEnded(consumer string, size int, committed bool)
}

type noMetrics struct{}

func (noMetrics) MessageHandled(string, string)                  {}
func (noMetrics) MessageDuplicate(string, string)                {}
func (noMetrics) HandlerRan(string, string, time.Duration, bool) {}
func (noMetrics) MessageParked(string, string)                   {}
func (noMetrics) MessageDeadLettered(string, string)             {}
func (noMetrics) BatchEnded(string, int, bool)                   {}

// countOutcome, just inside PoisonQueue, counts how each message ends:
// acknowledged, or failed for good (PoisonQueue dead-letters it). Errors
// that make the subscriber redeliver the message (the router stopping, the
// parking lot unreachable) end nothing and count nothing here.
func countOutcome(consumer string, m Metrics) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			produced, err := h(msg)
			switch {
			case err == nil:
				m.MessageHandled(consumer, eventTypeLabel(msg))
			case deadLetterable(err):
				m.MessageDeadLettered(consumer, eventTypeLabel(msg))
			}
			return produced, err
		}
	}
}

// observeRuns, inside Retry, times each run of the handlers and counts
// the duplicates the handlers acknowledged (see handlerResult).
func observeRuns(consumer string, m Metrics) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			run := &runNotes{}
			msg.SetContext(context.WithValue(msg.Context(), runNotesKey{}, run))
			start := time.Now()
			produced, err := h(msg)
			eventType := eventTypeLabel(msg)
			// A run that found the order parked did not fail: the
			// message is parked behind it.
			m.HandlerRan(consumer, eventType, time.Since(start), err != nil && !errors.Is(err, inbox.ErrParked))
			if err == nil && run.duplicate {
				m.MessageDuplicate(consumer, eventType)
			}
			return produced, err
		}
	}
}

// runNotes is what a handler tells the metrics about one run, through the
// message's context.
type runNotes struct{ duplicate bool }

type runNotesKey struct{}

// noteDuplicate records that the inbox already held the message.
func noteDuplicate(ctx context.Context) {
	if run, ok := ctx.Value(runNotesKey{}).(*runNotes); ok {
		run.duplicate = true
	}
}

// eventTypeLabel is the message's event type when it is one of the
// contracts', else "unknown": a label must not take any value a producer
// writes.
func eventTypeLabel(msg *message.Message) string {
	name := msg.Metadata.Get(envelope.MetadataEventName)
	if orderevents.Known(name) || inventoryevents.Known(name) || paymentevents.Known(name) {
		return name
	}
	return "unknown"
}
