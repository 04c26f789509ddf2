package messaging

import (
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/platform/contracts/envelope"
)

// Received is a published event of type E (a contract type of
// platform/contracts) as a handler receives it, with the envelope fields
// that are not part of the event. EventID is the message's ID.
type Received[E interface{ EventType() string }] struct {
	EventID    string
	OrderID    string
	Version    int // the order's version, for order events; 0 for others
	OccurredAt time.Time
	Event      E
}

func (r *Received[E]) eventName() string {
	var e E
	return e.EventType()
}

func (r *Received[E]) fill(d decodedMessage) error {
	e, ok := d.Event.(E)
	if !ok {
		return permanentf("message %s carries %T, not %T", d.EventID, d.Event, e)
	}
	r.EventID, r.OrderID, r.Version, r.OccurredAt, r.Event = d.EventID, d.OrderID, d.Version, d.OccurredAt, e
	return nil
}

// marshaler is the cqrs marshaler of our envelopes: the event name is the
// "name" metadata (platform/contracts/envelope), and a handler's
// event is a *Received[E]. Consumers only read; Marshal is refused.
type marshaler struct{}

var _ cqrs.CommandEventMarshaler = marshaler{}

func (marshaler) Marshal(any) (*message.Message, error) {
	return nil, errors.New("the consumers do not publish through cqrs")
}

func (marshaler) Unmarshal(msg *message.Message, v any) error {
	r, ok := v.(interface{ fill(decodedMessage) error })
	if !ok {
		return fmt.Errorf("cannot unmarshal into %T", v)
	}
	d, err := read(msg)
	if err != nil {
		return err
	}
	return r.fill(d)
}

func (marshaler) Name(v any) string {
	if r, ok := v.(interface{ eventName() string }); ok {
		return r.eventName()
	}
	return fmt.Sprintf("%T", v)
}

func (marshaler) NameFromMessage(msg *message.Message) string {
	return msg.Metadata.Get(envelope.MetadataEventName)
}
