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
}

// IsZero reports whether k names no message.
func (k Key) IsZero() bool { return k.Consumer == "" || k.MessageID == "" }

// ErrDuplicate means the consumer already applied the message: the
// transaction that found it rolled back, and the delivery is to be
// acknowledged without further effect.
var ErrDuplicate = errors.New("message already handled by this consumer")
