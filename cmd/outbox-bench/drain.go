package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	watermillsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	watermillforwarder "github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/forwarder"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
)

func newMessage(orderID string, version int) *message.Message {
	payload, _ := json.Marshal(map[string]any{
		"event_id": uuid.NewString(), "event_type": "OrderPlaced", "order_id": orderID, "version": version,
		"occurred_at": time.Now().UTC(), "data": map[string]any{"customer_id": "c-1", "total": 1500, "currency": "EUR"},
	})
	msg := message.NewMessage(uuid.NewString(), payload)
	msg.Metadata.Set(outbox.MetadataPartitionKey, orderID)
	msg.Metadata.Set("name", "OrderPlaced")
	return msg
}

const stockTopic = "bench_stock"

// newOurPublisher returns a publisher into our outbox that calls wakeUp,
// if not nil, after each commit.
func newOurPublisher(wakeUp func(...int)) (*outbox.Publisher, error) {
	return outbox.NewPublisher(outbox.PublisherConfig{Outbox: outboxConfig(), WakeUp: wakeUp}, nil)
}

// notifier returns the Wake of a Notifier of our outbox.
func notifier(db *sql.DB) (func(...int), error) {
	n, err := forwarder.NewNotifier(db, forwarder.NotifierConfig{Outbox: outboxConfig()}, nil)
	if err != nil {
		return nil, err
	}
	return n.Wake, nil
}

// fillBacklog writes n messages, 100 per transaction, through the
// forwarder's envelope into the stock topic or our shards.
func fillBacklog(ctx context.Context, e env, stock bool, n int) error {
	pub, err := newOurPublisher(nil)
	if err != nil {
		return err
	}
	for written := 0; written < n; {
		msgs := make([]*message.Message, 0, 100)
		for i := 0; i < 100 && written < n; i++ {
			msgs = append(msgs, newMessage(uuid.NewString(), 1))
			written++
		}
		err := pgtx.Do(ctx, e.db, func(uow *pgtx.UnitOfWork) error {
			if !stock {
				return pub.Publish(ctx, uow, e.topic, msgs...)
			}
			sqlPub, err := watermillsql.NewPublisher(uow.Tx, watermillsql.PublisherConfig{SchemaAdapter: watermillsql.DefaultPostgreSQLSchema{}}, nil)
			if err != nil {
				return err
			}
			return watermillforwarder.NewPublisher(sqlPub, watermillforwarder.PublisherConfig{ForwarderTopic: stockTopic}).Publish(e.topic, msgs...)
		})
		if err != nil {
			return err
		}
	}
	_, err = e.db.ExecContext(ctx, "VACUUM ANALYZE")
	return err
}

// drainResult is one drain's rate, the time to the first record, and the
// CPU used meanwhile.
type drainResult struct {
	rate       float64
	firstAfter time.Duration
	cpu        cpuShares
	// firstWindow and lastWindow are the rates over the first and the last
	// drainWindow records (from two windows up; 0 below).
	firstWindow, lastWindow float64
}

func (r drainResult) String() string {
	return fmt.Sprintf("first record after %v; CPU while draining (%% of one core): %s", r.firstAfter.Round(time.Millisecond), r.cpu)
}

// drain fills a backlog of n and returns the rate at which the forwarder
// moves it to Kafka, from the first record on Kafka to the last.
func drain(ctx context.Context, stock bool, n int) (res drainResult, err error) {
	return drainFilled(ctx, stock, n, func(e env) error { return fillBacklog(ctx, e, stock, n) })
}

// drainFilled is drain with a backlog of n that fill writes. From two
// windows up, it also times the first and the last drainWindow records.
func drainFilled(ctx context.Context, stock bool, n int, fill func(env) error) (res drainResult, err error) {
	e, err := newEnv(ctx, 6, false)
	if err != nil {
		return res, err
	}
	defer e.drop(ctx)
	if stock {
		sub, err := watermillsql.NewSubscriber(e.db, watermillsql.SubscriberConfig{
			ConsumerGroup: "bench", SchemaAdapter: watermillsql.DefaultPostgreSQLSchema{},
			OffsetsAdapter: watermillsql.DefaultPostgreSQLOffsetsAdapter{},
		}, nil)
		if err != nil {
			return res, err
		}
		if err := sub.SubscribeInitialize(stockTopic); err != nil {
			return res, err
		}
		_ = sub.Close()
	}
	if err := fill(e); err != nil {
		return res, err
	}

	linger := opts.linger
	if stock {
		// Watermill's forwarder sends one message at a time and waits for
		// it: a linger would only add waiting.
		linger = 0
	}
	publisher, err := kafka.NewPublisher(e.brokers, linger, logger)
	if err != nil {
		return res, err
	}
	defer func() { _ = publisher.Close() }()
	var run func(context.Context) error
	if stock {
		sub, err := watermillsql.NewSubscriber(e.db, watermillsql.SubscriberConfig{
			ConsumerGroup: "bench", SchemaAdapter: watermillsql.DefaultPostgreSQLSchema{},
			OffsetsAdapter: watermillsql.DefaultPostgreSQLOffsetsAdapter{},
		}, logger)
		if err != nil {
			return res, err
		}
		fwd, err := watermillforwarder.NewForwarder(sub, publisher, logger, watermillforwarder.Config{ForwarderTopic: stockTopic})
		if err != nil {
			return res, err
		}
		run = fwd.Run
	} else {
		fwd, err := forwarder.New(e.db, ourConfig(e, publisher), logger)
		if err != nil {
			return res, err
		}
		run = fwd.Run
	}
	client, err := newClient(e.brokers)
	if err != nil {
		return res, err
	}
	defer func() { _ = client.Close() }()

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- run(runCtx) }()
	var first, firstWindowEnd, lastWindowStart time.Time
	var atFirst, atLastWindow int64
	var cpu0 cpuTimes
	windows := n >= 2*drainWindow
	for {
		got := records(client, e.topic)
		if got > 0 && first.IsZero() {
			first, atFirst, cpu0 = time.Now(), got, readCPU()
			if opts.profiled {
				if err := startProfile(); err != nil {
					cancel()
					return res, errors.Join(err, <-done)
				}
			}
		}
		// The first window starts, as the rate does, at the first record.
		if windows && got >= drainWindow && firstWindowEnd.IsZero() {
			firstWindowEnd = time.Now()
			res.firstWindow = float64(got-atFirst) / firstWindowEnd.Sub(first).Seconds()
		}
		if windows && got >= int64(n-drainWindow) && lastWindowStart.IsZero() {
			lastWindowStart, atLastWindow = time.Now(), got
		}
		if got >= int64(n) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(first)
	if windows {
		res.lastWindow = float64(int64(n)-atLastWindow) / time.Since(lastWindowStart).Seconds()
	}
	cpu := readCPU().since(cpu0, elapsed)
	if opts.profiled {
		pprof.StopCPUProfile()
	}
	cancel()
	if err := <-done; err != nil {
		return res, err
	}
	res.rate, res.firstAfter, res.cpu = float64(int64(n)-atFirst)/elapsed.Seconds(), first.Sub(start), cpu
	return res, nil
}

func startProfile() error {
	f, err := os.Create(opts.cpuProfile)
	if err != nil {
		return err
	}
	return pprof.StartCPUProfile(f)
}
