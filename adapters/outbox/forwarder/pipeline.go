package forwarder

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orders/adapters/outbox"
)

// asyncPublisher is a publisher that can also hand a message to the broker
// without waiting for its acknowledgement (adapters/kafka.Publisher is
// one). With it, a shard keeps many records in flight; with a plain
// message.Publisher it sends one message at a time.
type asyncPublisher interface {
	message.Publisher
	// PublishAsync hands msg to the broker and returns; acked is called
	// exactly once, later, with nil when the broker acknowledged it or the
	// error that ended its attempts. When PublishAsync returns an error,
	// acked is not called.
	PublishAsync(topic string, msg *message.Message, acked func(error)) error
}

// pipeline is the publisher one shard's Watermill forwarder publishes to.
// It hands each message to the producer and returns at once; the batch's
// ack query waits for the broker (barrier) and fails if a record failed,
// so the position only moves over acknowledged rows. Two messages of one
// partition key are never in flight together: a later one waits in its
// key's queue, sent when the broker acknowledged the earlier, while the
// other keys' messages go on. After a failure nothing more of the batch
// is sent; the batch read again goes one message at a time (sequential
// mode). Why: docs/forwarder.md, "Shape" (Sending, Order within a shard).
type pipeline struct {
	out   message.Publisher
	async asyncPublisher // out, if it can send asynchronously
	obs   observer

	mu         sync.Mutex
	answers    *sync.Cond                // signalled when a record in flight is answered
	inFlight   int                       // records sent and not answered, and records queued
	keys       map[string]int            // partition keys in flight or queued, with their count
	queued     map[string][]queuedRecord // per key, records waiting for the key's record in flight
	failure    error                     // first failure since the last barrier
	sequential bool                      // one message at a time, until a batch is acked
	lastFail   error                     // the failure the last barrier reported, for the backoff manager

	// answerTimeout, when set, is how long records may wait without any answer
	// before the producer is given up as silent (see abandon); answered
	// is when the last answer came (or the first record of a wait was
	// sent), gen counts the producers given up, so that their late
	// answers count for nothing. renew, when set, makes the next producer.
	answerTimeout time.Duration
	answered      time.Time
	gen           uint64
	renew         func() (message.Publisher, error)
	stale         bool // the producer was given up; renew it at the barrier

	// lost, when set, reports that the shard's transaction may have been
	// ended by PostgreSQL (see lease): nothing more is sent, and the
	// barrier fails the batch.
	lost func() bool
}

func newPipeline(out message.Publisher, obs observer) *pipeline {
	p := &pipeline{obs: obs, keys: map[string]int{}, queued: map[string][]queuedRecord{}}
	p.use(out)
	p.answers = sync.NewCond(&p.mu)
	return p
}

// use makes out the producer records go to.
func (p *pipeline) use(out message.Publisher) {
	p.out = out
	p.async, _ = out.(asyncPublisher)
}

// Publish implements message.Publisher for the forwarder's handler.
func (p *pipeline) Publish(topic string, msgs ...*message.Message) error {
	for _, msg := range msgs {
		if err := p.publish(topic, msg); err != nil {
			return err
		}
	}
	return nil
}

func (p *pipeline) publish(topic string, msg *message.Message) error {
	created := createdAtFrom(msg.Context())
	p.mu.Lock()
	if p.lost != nil && p.lost() {
		if p.failure == nil {
			p.failure = errLeaseLost
		}
		p.mu.Unlock()
		return nil // acked unsent; the batch fails at its barrier
	}
	if p.sequential || p.async == nil {
		out := p.out
		p.mu.Unlock()
		start := time.Now()
		end := startForward(topic, msg)
		err := out.Publish(topic, msg)
		end(err)
		if err != nil {
			return err // the shard handler retries it in place
		}
		p.obs.acked(start, created)
		return nil
	}
	key := msg.Metadata.Get(outbox.MetadataPartitionKey)
	gen := p.gen
	if !p.maySend(gen, msg) {
		// The batch fails at its barrier and is read again; send nothing
		// more of it, so no later event overtakes the failed one.
		p.mu.Unlock()
		return nil
	}
	if p.inFlight == 0 {
		p.answered = time.Now() // the answer timeout counts from here
	}
	p.inFlight++
	if key != "" {
		p.keys[key]++
		if p.keys[key] > 1 { // the order's previous event is still in flight
			p.queued[key] = append(p.queued[key], queuedRecord{topic: topic, msg: msg, created: created})
			p.mu.Unlock()
			return nil
		}
	}
	async := p.async
	p.mu.Unlock()
	if err := p.send(async, gen, key, queuedRecord{topic: topic, msg: msg, created: created}); err != nil {
		p.recordAnswer(gen, key, nil, false)
		return err // not sent: the shard handler retries it in place
	}
	return nil
}

// queuedRecord is a message waiting for its key's record in flight.
type queuedRecord struct {
	topic   string
	msg     *message.Message
	created time.Time
}

// send hands r to async; the broker's answer comes to recordAnswer.
func (p *pipeline) send(async asyncPublisher, gen uint64, key string, r queuedRecord) error {
	start := time.Now()
	end := startForward(r.topic, r.msg)
	err := async.PublishAsync(r.topic, r.msg, func(err error) {
		end(err)
		p.recordAnswer(gen, key, err, true)
		if err == nil {
			p.obs.acked(start, r.created)
		}
	})
	if err != nil {
		end(err)
	}
	return err
}

// sendNext sends the next queued record of key, whose record in flight
// was acknowledged, unless the batch failed since: then it drops the key's
// queue (the batch is read again). It runs on a goroutine of its own, not
// on the producer's, which must not wait for its own input.
func (p *pipeline) sendNext(gen uint64, key string) {
	p.mu.Lock()
	q := p.queued[key]
	if gen != p.gen || len(q) == 0 {
		p.mu.Unlock()
		return // the producer was given up (abandon), and its queues with it
	}
	if p.batchFailed() || (p.lost != nil && p.lost()) {
		if p.failure == nil {
			p.failure = errLeaseLost
		}
		p.dropQueue(key)
		p.mu.Unlock()
		return
	}
	r := q[0]
	if len(q) == 1 {
		delete(p.queued, key)
	} else {
		p.queued[key] = q[1:]
	}
	async := p.async
	p.mu.Unlock()
	if err := p.send(async, gen, key, r); err != nil {
		p.recordAnswer(gen, key, err, true) // the batch read again sends r synchronously
	}
}

// dropQueue forgets key's queued records after a failure, p.mu held.
func (p *pipeline) dropQueue(key string) {
	n := len(p.queued[key])
	delete(p.queued, key)
	p.inFlight -= n
	if p.keys[key] -= n; p.keys[key] <= 0 {
		delete(p.keys, key)
	}
	p.answers.Broadcast()
}

// batchFailed reports a failure since the last barrier; p.mu is held.
func (p *pipeline) batchFailed() bool { return p.failure != nil }

// recordAnswer counts the answer to key's record; next says whether the
// key's queued record may go now (not after a send that failed before
// reaching the producer, which the shard handler retries in place).
func (p *pipeline) recordAnswer(gen uint64, key string, err error, next bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if gen != p.gen {
		return // a record of a producer given up (abandon)
	}
	p.answered = time.Now()
	p.inFlight--
	if key != "" {
		if p.keys[key]--; p.keys[key] == 0 {
			delete(p.keys, key)
		}
	}
	if err != nil && p.failure == nil {
		p.failure = err
	}
	if next && len(p.queued[key]) > 0 {
		go p.sendNext(gen, key)
	}
	p.answers.Broadcast()
}

// barrier waits until every record in flight is answered and returns the
// first failure since the last barrier (then the next batch goes in
// sequential mode), or nil (then sequential mode ends).
func (p *pipeline) barrier() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.inFlight > 0 {
		if !p.waitAnswer() {
			p.abandon()
		}
	}
	p.renewProducer()
	err := p.failure
	if err == nil && p.lost != nil && p.lost() {
		err = errLeaseLost
	}
	p.failure = nil
	// A lost lease says nothing about the broker: no sequential batch after it.
	// Nor after a silent producer that could not be replaced: a sequential
	// send to it would wait for ever, an asynchronous one for the answer timeout.
	p.sequential = err != nil && !errors.Is(err, errLeaseLost) && !p.stale
	p.lastFail = err
	return err
}

// takeFailure returns the failure the last barrier reported, once.
func (p *pipeline) takeFailure() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	err := p.lastFail
	p.lastFail = nil
	return err
}

// observer counts what one shard forwarded; its zero value counts nothing.
type observer struct {
	forwarded prometheus.Counter
	publish   prometheus.Observer
	delay     prometheus.Observer
}

func newObserver(m *Metrics, outbox, topic string) observer {
	if m == nil {
		return observer{}
	}
	// Dead letters and held messages start at 0, so that an alert on
	// their increase sees the first one.
	m.deadLettered.WithLabelValues(outbox, topic)
	m.held.WithLabelValues(outbox, topic)
	return observer{
		forwarded: m.forwarded.WithLabelValues(outbox, topic),
		publish:   m.publish.WithLabelValues(outbox),
		delay:     m.delay.WithLabelValues(outbox),
	}
}

// acked records a message the broker acknowledged: sent at start, its
// writing transaction begun at created (zero if unknown).
func (o observer) acked(start, created time.Time) {
	if o.forwarded == nil {
		return
	}
	now := time.Now()
	o.forwarded.Inc()
	o.publish.Observe(now.Sub(start).Seconds())
	if !created.IsZero() {
		o.delay.Observe(now.Sub(created).Seconds())
	}
}

type createdAtKey struct{}

// withCreatedAt notes in ctx when the row's writing transaction began; the
// forwarder passes the context on to the message it unwraps.
func withCreatedAt(ctx context.Context, created time.Time) context.Context {
	return context.WithValue(ctx, createdAtKey{}, created)
}

func createdAtFrom(ctx context.Context) time.Time {
	t, _ := ctx.Value(createdAtKey{}).(time.Time)
	return t
}

// Close does nothing: the forwarder closes the publishers it owns.
func (p *pipeline) Close() error { return nil }
