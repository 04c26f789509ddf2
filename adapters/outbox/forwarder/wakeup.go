package forwarder

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/lib/pq"

	"github.com/orderflow/orders/adapters/outbox"
)

// DefaultNotifyInterval is the least time between two NOTIFYs of a Notifier.
const DefaultNotifyInterval = 3 * time.Millisecond

// channelName is the LISTEN/NOTIFY channel of an outbox.
func channelName(outbox string) string { return "outbox_" + outbox }

// Notifier wakes the forwarders of an outbox, in any process, after a
// business transaction committed: Wake sends a NOTIFY on a connection of
// its own, outside the business transaction (a NOTIFY inside it would
// serialise the commits of all writers), at once when none was sent in the
// last interval and otherwise once at the end of it, so a burst of commits
// costs one NOTIFY per interval. The payload names the shards written
// since the last one ("3,5"; empty: all), so that only those run a cycle.
// A lost wake-up costs latency only: the forwarder also polls.
type Notifier struct {
	db       *sql.DB
	channel  string
	interval time.Duration
	logger   watermill.LoggerAdapter

	running  atomic.Bool
	failures atomic.Int64

	mu      sync.Mutex
	pending shardSet
}

// NotifierConfig configures a Notifier.
type NotifierConfig struct {
	// Outbox is the outbox whose forwarders are woken.
	Outbox outbox.Config
	// Interval is the least time between two NOTIFYs. Defaults to
	// DefaultNotifyInterval.
	Interval time.Duration
}

func (c *NotifierConfig) setDefaults() {
	if c.Interval <= 0 {
		c.Interval = DefaultNotifyInterval
	}
}

// Validate reports a config without a valid outbox name.
func (c NotifierConfig) Validate() error {
	_, err := c.Outbox.WithDefaults()
	return err
}

// NewNotifier returns the Notifier of cfg.Outbox: its Wake is the outbox
// Publisher's WakeUp (outbox.PublisherConfig).
func NewNotifier(db *sql.DB, cfg NotifierConfig, logger watermill.LoggerAdapter) (*Notifier, error) {
	if db == nil {
		return nil, errors.New("notifier needs a database")
	}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	return &Notifier{db: db, channel: channelName(cfg.Outbox.Name), interval: cfg.Interval, logger: logger}, nil
}

// Wake asks for a NOTIFY waking shards (every shard when none is given);
// it never blocks.
func (n *Notifier) Wake(shards ...int) {
	n.mu.Lock()
	n.pending.add(shards)
	n.mu.Unlock()
	if n.running.CompareAndSwap(false, true) {
		go n.loop()
	}
}

// take returns the pending shards and clears them.
func (n *Notifier) take() shardSet {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.pending
	n.pending = shardSet{}
	return s
}

func (n *Notifier) loop() {
	for {
		pending := n.take()
		if !pending.any {
			n.running.Store(false)
			// A Wake that came in between saw running and left: take it.
			n.mu.Lock()
			again := n.pending.any
			n.mu.Unlock()
			if again && n.running.CompareAndSwap(false, true) {
				continue
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		// No parameters: one round trip (lib/pq prepares a parameterised query).
		_, err := n.db.ExecContext(ctx, "SELECT pg_notify("+pq.QuoteLiteral(n.channel)+", "+pq.QuoteLiteral(pending.payload())+")")
		cancel()
		if err != nil {
			if n.failures.Add(1)%100 == 1 {
				n.logger.Error("Outbox wake-up NOTIFY failed; forwarders fall back on polling", err, nil)
			}
		}
		time.Sleep(n.interval)
	}
}

// listen LISTENs on the outbox's channel until ctx ends and calls wake for
// every notification with the shards it names, and for every shard after
// every reconnection (a notification may have been missed meanwhile).
func listen(ctx context.Context, dsn, outbox string, wake func(shards ...int), logger watermill.LoggerAdapter) error {
	listener := pq.NewListener(dsn, 100*time.Millisecond, 5*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			logger.Info("Outbox LISTEN connection lost; polling until it is back", watermill.LogFields{"err": err})
		case pq.ListenerEventReconnected:
			logger.Info("Outbox LISTEN connection back", nil)
		case pq.ListenerEventConnectionAttemptFailed:
			logger.Debug("Outbox LISTEN connection attempt failed", watermill.LogFields{"err": err})
		}
	})
	// Listen waits while the database is unreachable; closing ends it.
	stop := context.AfterFunc(ctx, func() { _ = listener.Close() })
	defer func() {
		stop()
		_ = listener.Close()
	}()
	if err := listener.Listen(channelName(outbox)); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	wake() // anything committed before the LISTEN
	ping := time.NewTicker(time.Minute)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case n, ok := <-listener.Notify:
			if !ok {
				return nil
			}
			if n == nil { // a reconnection
				wake()
				continue
			}
			wake(parseShards(n.Extra)...)
		case <-ping.C:
			go func() { _ = listener.Ping() }()
		}
	}
}
