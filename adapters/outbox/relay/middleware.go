package relay

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"

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

// permanentPublishError reports a Kafka error that no retry can mend: the
// message goes to the dead letters instead.
func permanentPublishError(err error) bool {
	return errors.Is(err, sarama.ErrMessageSizeTooLarge) ||
		errors.Is(err, sarama.ErrInvalidMessageSize) ||
		errors.Is(err, sarama.ErrInvalidMessage) ||
		errors.Is(err, sarama.ErrInvalidTopic)
}

// delivery is the middleware of one shard's forwarder handler, around the
// forwarder's unwrapping and its publish to the shard's pipeline:
//
//   - a message that cannot be unwrapped, or that the broker can never
//     take, goes to outbox_dead_letters with the reason, in the
//     subscriber's transaction (so together with the position that passes
//     it), and is acknowledged: the others continue;
//   - a publish that fails at once (in careful mode, or when the producer
//     refuses the message) is retried in place, 100 ms then twice as long
//     up to RetryMax, until it succeeds or the message's ack deadline
//     passes (the subscriber then reads it again): the position moves past
//     a message only after the broker acknowledged it (see pipeline for
//     the records still in flight when the handler returns).
//
// The envelope is decoded once, by the forwarder; the middleware looks at
// it again only when the forwarder failed.
type delivery struct {
	outbox   string
	topic    string
	db       *sql.DB
	metrics  *Metrics
	retryMin time.Duration
	retryMax time.Duration
	logger   watermill.LoggerAdapter
	turn     *turn // hears that the batch's rows were read
}

func (d *delivery) middleware(next message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		if d.turn != nil {
			d.turn.handling()
		}
		if d.metrics != nil {
			if created, err := parseCreatedAt(msg.Metadata.Get(metadataCreatedAt)); err == nil {
				msg.SetContext(withCreatedAt(msg.Context(), created))
			}
		}
		wait := d.retryMin
		for attempt := 1; ; attempt++ {
			produced, err := next(msg)
			if err == nil {
				return produced, nil
			}
			if problem := unwrapProblem(msg); problem != "" {
				return nil, d.deadLetter(msg, problem)
			}
			if permanentPublishError(err) {
				return nil, d.deadLetter(msg, err.Error())
			}
			if d.metrics != nil {
				d.metrics.retried.WithLabelValues(d.outbox, d.topic).Inc()
			}
			if attempt == 1 || attempt%20 == 0 {
				d.logger.Error("Publishing to Kafka failed; retrying until the broker acknowledges", errors.New(err.Error()), // without stack traces
					watermill.LogFields{"sql_topic": d.topic, "attempt": attempt, "uuid": msg.UUID})
			}
			timer := time.NewTimer(wait)
			select {
			case <-msg.Context().Done():
				timer.Stop()
				return nil, err // nacked; the subscriber reads it again
			case <-timer.C:
			}
			wait = min(2*wait, d.retryMax)
		}
	}
}

// deadLetter stores msg in outbox_dead_letters with the reason.
func (d *delivery) deadLetter(msg *message.Message, reason string) error {
	offset, _ := strconv.ParseInt(msg.Metadata.Get(metadataOffset), 10, 64)
	txID := msg.Metadata.Get(metadataTransactionID)
	if txID == "" {
		txID = "0"
	}
	var createdAt *time.Time
	if t, err := parseCreatedAt(msg.Metadata.Get(metadataCreatedAt)); err == nil {
		createdAt = &t
	}
	metadata := message.Metadata{}
	for k, v := range msg.Metadata {
		if k != metadataOffset && k != metadataTransactionID && k != metadataCreatedAt {
			metadata[k] = v
		}
	}
	metadataJSON, err := json.Marshal(metadata)
	if err != nil {
		return err
	}
	var db interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	} = d.db
	if tx, ok := watermillsql.TxFromContext(msg.Context()); ok {
		db = tx
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(msg.Context()), 10*time.Second)
	defer cancel()
	_, err = db.ExecContext(ctx, `
		INSERT INTO outbox_dead_letters (outbox, sql_topic, "offset", transaction_id, uuid, payload, metadata, reason, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		d.outbox, d.topic, offset, txID, msg.UUID, []byte(msg.Payload), metadataJSON, reason, createdAt)
	if err != nil {
		return fmt.Errorf("store dead letter %s: %w", msg.UUID, err)
	}
	if d.metrics != nil {
		d.metrics.deadLettered.WithLabelValues(d.outbox, d.topic).Inc()
	}
	d.logger.Error("Outbox message dead-lettered", nil, watermill.LogFields{"sql_topic": d.topic, "uuid": msg.UUID, "reason": reason})
	return nil
}
