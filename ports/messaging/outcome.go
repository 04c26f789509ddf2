package messaging

import (
	"context"
	"errors"
	"log/slog"

	"github.com/orderflow/orders/app/inbox"
)

// outcome classifies the error of a command a handler ran.
type outcome struct {
	// ack lists errors that mean "nothing (more) to do": the message is
	// acknowledged, with a log line.
	ack []error
	// permanent lists errors that retrying cannot fix: dead-letter now.
	permanent []error
	// permanentIf matches further permanent errors, such as validation
	// errors of a domain.
	permanentIf func(error) bool
}

// handlerResult turns a command's error into the handler's: nil for success, a
// duplicate delivery or an expected no-op; a permanent error (a message
// of a parked order too: the parking middleware parks it behind, never
// retries it); or the error itself, to be retried.
func (o outcome) handlerResult(ctx context.Context, logger *slog.Logger, what string, orderID string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, inbox.ErrParked) {
		return Permanent(err)
	}
	if errors.Is(err, inbox.ErrConflictingEvent) {
		logger.ErrorContext(ctx, "a second, different event with the order's version: not applied, parked (see the README's runbook, OrdersParked)",
			"handler", what, "order_id", orderID, "err", err)
		return Permanent(err)
	}
	if errors.Is(err, inbox.ErrDuplicate) {
		noteDuplicate(ctx)
		logger.DebugContext(ctx, "duplicate delivery acknowledged", "handler", what, "order_id", orderID)
		return nil
	}
	for _, target := range o.ack {
		if errors.Is(err, target) {
			logger.InfoContext(ctx, "nothing to do; message acknowledged", "handler", what, "order_id", orderID, "reason", err.Error())
			return nil
		}
	}
	for _, target := range o.permanent {
		if errors.Is(err, target) {
			return Permanent(err)
		}
	}
	if o.permanentIf != nil && o.permanentIf(err) {
		return Permanent(err)
	}
	return err
}
