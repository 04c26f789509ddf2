package forwarder

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/lib/pq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orders/adapters/outbox/internal/shard"
)

// backoffManager is the watermill-sql BackoffManager of one shard's
// subscriber. The subscriber calls HandleError after every query and sleeps
// for what it returns (pinned by watermillsql_test.go); this manager does
// the waiting itself, so that a wake-up ends it, and returns 0. How long
// it waits after each kind of query: docs/forwarder.md, "Shape" (Waits).
type backoffManager struct {
	db            shard.QueryRower
	topic         string
	consumerGroup string
	idle          time.Duration
	batchSize     int // rows a full select reads; 0: every batch counts as full
	wake          chan struct{}
	done          <-chan struct{}
	lease         *lease
	logger        watermill.LoggerAdapter

	// publishFailure, when set, returns the publishing failure that made
	// the last batch fail, once; retryMin and retryMax bound the wait
	// before it is read again, and retried counts those retries.
	publishFailure     func() error
	retryMin, retryMax time.Duration
	retried            prometheus.Counter

	// Used by the subscriber's goroutine only.
	quick          time.Duration
	errBackoff     time.Duration
	publishBackoff time.Duration
	publishRetries int
}

const (
	quickBackoffStart = time.Millisecond
	errBackoffStart   = 50 * time.Millisecond
	errBackoffMax     = 5 * time.Second
)

func newBackoffManager(db shard.QueryRower, topic, consumerGroup string, idle time.Duration, done <-chan struct{}, t *lease, logger watermill.LoggerAdapter) *backoffManager {
	return &backoffManager{
		db: db, topic: topic, consumerGroup: consumerGroup, idle: idle,
		wake: make(chan struct{}, 1), done: done, lease: t, logger: logger,
	}
}

// Wake ends the current wait, or the next one if none is in progress.
func (b *backoffManager) Wake() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// HandleError implements watermillsql.BackoffManager.
func (b *backoffManager) HandleError(logger watermill.LoggerAdapter, noMsg bool, err error) time.Duration {
	short := false
	if b.lease != nil {
		short = b.batchSize > 0 && b.lease.rowsRead() < b.batchSize
		b.lease.ended() // the subscriber committed or rolled back before calling
	}
	if err != nil && b.publishFailure != nil {
		if failure := b.publishFailure(); errors.Is(failure, errLeaseLost) {
			warn(b.logger, "Outbox shard left to the forwarder that holds it now; this forwarder's batch was not acknowledged",
				watermill.LogFields{"sql_topic": b.topic, "reason": failure.Error()})
			b.quick, b.errBackoff = 0, 0
			b.wait(b.idle, true)
			return 0
		} else if failure != nil {
			b.afterPublishFailure(failure)
			return 0
		}
	}
	switch {
	case errors.Is(err, errShardBusy):
		b.quick, b.errBackoff = 0, 0
		b.wait(b.idle, true)
	case err != nil && isRetryableConflict(err):
		return 0
	case err != nil && b.stopping(err):
		return 0 // a query that the forwarder's stop cancelled has not failed
	case err != nil:
		b.errBackoff = min(max(2*b.errBackoff, errBackoffStart), errBackoffMax)
		logger.Error("Outbox query failed, retrying", err, watermill.LogFields{"wait_time": b.errBackoff})
		b.wait(b.errBackoff, false)
	case !noMsg:
		b.quick, b.errBackoff, b.publishBackoff, b.publishRetries = 0, 0, 0, 0
		if short {
			b.afterEmptyQuery()
		}
	default:
		b.errBackoff = 0
		b.afterEmptyQuery()
	}
	return 0
}

// afterPublishFailure waits before the batch the broker did not fully
// acknowledge is read again.
func (b *backoffManager) afterPublishFailure(failure error) {
	b.publishRetries++
	b.publishBackoff = min(max(2*b.publishBackoff, b.retryMin), b.retryMax)
	if b.retried != nil {
		b.retried.Inc()
	}
	if b.publishRetries == 1 || b.publishRetries%20 == 0 {
		b.logger.Error("Publishing to Kafka failed; the batch is read again and forwarded one message at a time", errors.New(failure.Error()),
			watermill.LogFields{"sql_topic": b.topic, "attempt": b.publishRetries, "wait_time": b.publishBackoff})
	}
	b.wait(b.publishBackoff, false)
}

// afterEmptyQuery waits after a query that read everything it could (none
// or a short batch): briefly while committed rows wait after the position,
// else for a wake-up.
func (b *backoffManager) afterEmptyQuery() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	state, err := shard.ReadState(ctx, b.db, b.topic, b.consumerGroup)
	cancel()
	if err != nil {
		state.Pending = true // unknown: look again soon
	}
	if state.Stalled() || !state.Pending {
		b.quick = 0
		b.wait(b.idle, true)
		return
	}
	b.quick = min(max(2*b.quick, quickBackoffStart), b.idle)
	b.wait(b.quick, true)
}

// wait blocks for d, until a wake-up when wakeable, or until the forwarder
// stops.
func (b *backoffManager) wait(d time.Duration, wakeable bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	wake := b.wake
	if !wakeable {
		wake = nil
	}
	select {
	case <-timer.C:
	case <-wake:
	case <-b.done:
	}
}

// stopping reports an error of a query cancelled because the forwarder stops.
func (b *backoffManager) stopping(err error) bool {
	select {
	case <-b.done:
		return true
	default:
		return errors.Is(err, context.Canceled)
	}
}

// isRetryableConflict reports a serialization failure or deadlock, which
// the next query resolves.
func isRetryableConflict(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "40001" || pqErr.Code == "40P01"
	}
	return strings.Contains(err.Error(), "deadlock")
}
