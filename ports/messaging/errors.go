// Package messaging is the Kafka port of the inventory, the payment
// service and the order saga: Watermill routers whose handlers turn
// consumed events into the services' commands, with the middleware that
// makes every effect happen once (inbox), in order per order (parking),
// and keeps unreadable or failing messages from blocking the rest
// (retries, then the dead-letter topic).
package messaging

import (
	"context"
	"errors"
	"fmt"
)

// permanentError marks an error that retrying cannot fix: the message
// goes to the dead-letter topic at once.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot fix.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

func isPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// ErrParked is the error of a message whose order is parked: an earlier
// message of the order failed for good, so this one must not overtake it.
var ErrParked = errors.New("order is parked: an earlier message of the order failed")

// unavailableError means the parking lot could not be read or written: the
// message is not dead-lettered (its order would not be marked parked) but
// redelivered later.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return "parking lot unavailable: " + e.err.Error() }
func (e *unavailableError) Unwrap() error { return e.err }

// deadLetterable reports whether a failed message goes to the dead-letter
// topic: not when the router is stopping, not when parking failed.
func deadLetterable(err error) bool {
	var u *unavailableError
	return !errors.As(err, &u) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// retryable reports whether a failed message is handled again (with
// backoff) before it is dead-lettered: not when retrying cannot help.
func retryable(err error) bool { return !isPermanent(err) && deadLetterable(err) }

func permanentf(format string, args ...any) error {
	return Permanent(fmt.Errorf(format, args...))
}
