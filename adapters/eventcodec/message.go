package eventcodec

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Message returns the Watermill message that carries the envelope. Its UUID
// is the event ID, so consumers can deduplicate on it, and its partition key
// is the order ID, so one order's events share a Kafka partition.
func (e Envelope) Message() (*message.Message, error) {
	payload, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("marshal envelope of event %s: %w", e.EventID, err)
	}
	msg := message.NewMessage(e.EventID, payload)
	msg.Metadata.Set(MetadataEventName, e.EventType)
	msg.Metadata.Set(MetadataPartitionKey, e.OrderID)
	msg.Metadata.Set(MetadataSchemaVersion, strconv.Itoa(e.SchemaVersion))
	return msg, nil
}
