// Package inbox names a consumed message for the consumer that applies it.
// A command that a message caused carries the message's Key; the
// repository that applies the command records the key in the consumer's
// inbox in the transaction of the effect. A second delivery of the message
// then finds the record and changes nothing: ErrDuplicate.
package inbox

import "errors"

// Key identifies one message for one consumer. The zero Key means the work
// was not caused by a message (an HTTP request, say): nothing is recorded.
type Key struct {
	Consumer  string
	MessageID string
	// OrderKey, when set, is the order the message belongs to in the
	// consumer's parking lot: recording the key then fails with ErrParked
	// while the consumer has a parked message of that order, checked in
	// the same statement as the record. Empty: no check (a release of
	// parked messages, which must get past them).
	OrderKey string
	// Order and Version, when Version is set, are the order and version of
	// the order event the message carries: recording a second, different
	// message of the same order and version fails with
	// ErrConflictingEvent (the order service wrote that version twice).
	Order   string
	Version int
}

// IsZero reports whether k names no message.
func (k Key) IsZero() bool { return k.Consumer == "" || k.MessageID == "" }

// Message is k without its parking check: what names the message in the
// inbox, equal for every delivery of it.
func (k Key) Message() Key {
	return Key{Consumer: k.Consumer, MessageID: k.MessageID, Order: k.Order, Version: k.Version}
}

// ErrDuplicate means the consumer already applied the message: the
// transaction that found it rolled back, and the delivery is to be
// acknowledged without further effect.
var ErrDuplicate = errors.New("message already handled by this consumer")

// ErrParked means the consumer has parked an earlier message of the
// key's order: the transaction that found it rolled back, and the message
// is to be parked behind it, not applied ahead of it.
var ErrParked = errors.New("an earlier message of the order is parked")

// ErrConflictingEvent means the consumer applied another event with the
// same order and version: the order service wrote that version twice (a
// failover to a standby that lacked its tail, a point-in-time restore).
// The message is not applied; it is parked for an operator.
var ErrConflictingEvent = errors.New("another event with the same order and version was applied: the order's history forked")
