package forwarder

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
)

// unwrapProblem returns why the forwarder cannot unwrap msg, or "".
func unwrapProblem(msg *message.Message) string {
	var env outbox.Envelope
	if err := (outbox.Marshaler{}).Unmarshal(msg.Payload, &env); err != nil {
		return "not a forwarder envelope: " + err.Error()
	}
	if env.DestinationTopic == "" {
		return "forwarder envelope without a destination topic"
	}
	return ""
}

// permanentPublishError reports an error that no retry can mend, from the
// broker or from the client before sending: the message goes to the dead
// letters instead. Anything else (the broker down, a leader election, an
// authorisation or configuration mistake an operator can fix) is retried,
// and stalls the shard visibly, rather than dead-letter every message.
func permanentPublishError(err error) bool {
	// Not INVALID_TIMESTAMP: a record carries the forwarder's send time, so
	// that refusal is about the forwarder's clock or the topic's
	// message.timestamp.* policy, and every record fails alike until it is
	// mended (docs/forwarder.md, "Guarantees").
	var kerr sarama.KError
	if errors.As(err, &kerr) {
		switch kerr {
		case sarama.ErrMessageSizeTooLarge, // MESSAGE_TOO_LARGE: over the topic's max.message.bytes
			sarama.ErrMessageSetSizeTooLarge, // RECORD_LIST_TOO_LARGE
			sarama.ErrInvalidMessageSize,
			sarama.ErrInvalidMessage, // CORRUPT_MESSAGE: also a record a compacted topic refuses
			sarama.ErrInvalidRecord,  // INVALID_RECORD: the broker's validation refused it
			sarama.ErrInvalidTopic:   // the envelope names a topic Kafka cannot have
			return true
		}
		return false
	}
	// Sarama refuses a record over Producer.MaxMessageBytes before sending
	// it, with a ConfigurationError; its other ConfigurationErrors concern
	// every record alike, so they are not the record's fault.
	var cerr sarama.ConfigurationError
	if errors.As(err, &cerr) {
		return strings.Contains(string(cerr), "MaxMessageBytes")
	}
	return errors.Is(err, kafka.ErrMarshal)
}

// shardHandler is the middleware of one shard's forwarder handler, around the
// forwarder's unwrapping and its publish to the shard's pipeline: a message
// that cannot become a Kafka record is dead-lettered in the subscriber's
// transaction, a message of an order with an open dead letter is held
// behind it, and a publish that fails at once is retried in place until
// the message's ack deadline (docs/forwarder.md, "Guarantees" (Poison
// messages), "Dead letters", "Shape" (Sending)). The envelope is decoded
// once, by the forwarder; the middleware looks at it again only when the
// forwarder failed or while some order of the shard is held.
type shardHandler struct {
	outbox   string
	topic    string
	db       *sql.DB
	holds    *holds
	metrics  *Metrics
	retryMin time.Duration
	retryMax time.Duration
	logger   watermill.LoggerAdapter
	lease    *lease // hears that the batch's rows were read
}

func (h *shardHandler) middleware(next message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		if h.lease != nil {
			h.lease.handling()
		}
		if h.metrics != nil {
			if created, err := parseCreatedAt(msg.Metadata.Get(metadataCreatedAt)); err == nil {
				msg.SetContext(withCreatedAt(msg.Context(), created))
			}
		}
		if problem := msg.Metadata.Get(metadataUnreadable); problem != "" {
			return nil, h.store(msg, problem, statusDead)
		}
		if held, err := h.isHeld(msg); err != nil || held {
			return nil, err
		}
		wait := h.retryMin
		for attempt := 1; ; attempt++ {
			produced, err := next(msg)
			if err == nil {
				return produced, nil
			}
			if problem := unwrapProblem(msg); problem != "" {
				return nil, h.store(msg, problem, statusDead)
			}
			if permanentPublishError(err) {
				return nil, h.store(msg, err.Error(), statusDead)
			}
			if h.metrics != nil {
				h.metrics.retried.WithLabelValues(h.outbox, h.topic).Inc()
			}
			if attempt == 1 || attempt%20 == 0 {
				h.logger.Error("Publishing to Kafka failed; retrying until the broker acknowledges", errors.New(err.Error()), // without stack traces
					watermill.LogFields{"sql_topic": h.topic, "attempt": attempt, "uuid": msg.UUID})
			}
			timer := time.NewTimer(wait)
			select {
			case <-msg.Context().Done():
				timer.Stop()
				return nil, err // nacked; the subscriber reads it again
			case <-timer.C:
			}
			wait = min(2*wait, h.retryMax)
		}
	}
}

// isHeld stores msg as a held letter, and reports true, when its order has
// an open dead letter in the shard.
func (h *shardHandler) isHeld(msg *message.Message) (bool, error) {
	tx, q := h.tx(msg)
	if !h.holds.any(tx) {
		return false, nil
	}
	key := partitionKeyOf(msg.Payload)
	if key == "" {
		return false, nil
	}
	held, err := h.holds.held(msg.Context(), q, tx, key)
	if err != nil {
		return false, fmt.Errorf("is order %s held: %w", key, err)
	}
	if !held {
		return false, nil
	}
	return true, h.store(msg, "", statusHeld)
}

// tx returns the subscriber's transaction msg was read in, and it or the
// database (no transaction: not expected) to run statements on.
func (h *shardHandler) tx(msg *message.Message) (*sql.Tx, dbQueryer) {
	if tx, ok := watermillsql.TxFromContext(msg.Context()); ok {
		return tx, tx
	}
	return nil, h.db
}

const (
	statusDead = "dead"
	statusHeld = "held"
)

// store puts msg into outbox_dead_letters, dead (with the reason) or held,
// in the subscriber's transaction, and holds its order's later events.
func (h *shardHandler) store(msg *message.Message, reason, status string) error {
	offset, _ := strconv.ParseInt(msg.Metadata.Get(metadataOffset), 10, 64)
	txID := msg.Metadata.Get(metadataTransactionID)
	if txID == "" {
		txID = "0"
	}
	var createdAt *time.Time
	if t, err := parseCreatedAt(msg.Metadata.Get(metadataCreatedAt)); err == nil {
		createdAt = &t
	}
	metadataJSON := []byte(msg.Metadata.Get(metadataRaw))
	if len(metadataJSON) == 0 {
		metadata := message.Metadata{}
		for k, v := range msg.Metadata {
			if k != metadataOffset && k != metadataTransactionID && k != metadataCreatedAt && k != metadataUnreadable {
				metadata[k] = v
			}
		}
		var err error
		if metadataJSON, err = json.Marshal(metadata); err != nil {
			return err
		}
	}
	var key *string
	k := partitionKeyOf(msg.Payload)
	if k != "" {
		key = &k
	}
	if status == statusHeld {
		reason = heldReason(k)
	}
	tx, db := h.tx(msg)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(msg.Context()), 10*time.Second)
	defer cancel()
	var id, behind int64
	err := db.QueryRowContext(ctx, letterQuery,
		h.outbox, h.topic, offset, txID, msg.UUID, []byte(msg.Payload), metadataJSON, reason, createdAt, key, status).
		Scan(&id, &behind)
	if err != nil {
		return fmt.Errorf("store dead letter %s: %w", msg.UUID, err)
	}
	if key != nil {
		h.holds.add(tx, k)
	}
	fields := watermill.LogFields{"sql_topic": h.topic, "uuid": msg.UUID, "order": k, "dead_letter": id}
	if status == statusHeld {
		if h.metrics != nil {
			h.metrics.held.WithLabelValues(h.outbox, h.topic).Inc()
		}
		fields["held_behind"] = behind
		h.logger.Info("Outbox message held behind its order's dead letter", fields)
		return nil
	}
	if h.metrics != nil {
		h.metrics.deadLettered.WithLabelValues(h.outbox, h.topic).Inc()
	}
	fields["reason"] = reason
	h.logger.Error("Outbox message dead-lettered; its order's later events are held until `orders outbox dead-letters replay|skip`", nil, fields)
	return nil
}
