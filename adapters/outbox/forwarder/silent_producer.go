package forwarder

import (
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// errProducerSilent fails a batch whose records the producer left
// unanswered for the whole answer timeout: Sarama's idempotent producer was seen
// to stop answering after Kafka's brokers restarted (make chaos, "mixed"),
// and a forwarder that waited for it kept the shard stalled for ever.
var errProducerSilent = errors.New("the Kafka producer answered none of the records in flight within the ack deadline; the batch is read again with a new producer")

// waitAnswer waits, p.mu held, until a record in flight is answered or the
// answer timeout runs out; false when it ran out.
func (p *pipeline) waitAnswer() bool {
	if p.answerTimeout <= 0 {
		p.answers.Wait()
		return true
	}
	left := p.answerTimeout - time.Since(p.answered)
	if left <= 0 {
		return false
	}
	timer := time.AfterFunc(left, func() {
		p.mu.Lock()
		p.answers.Broadcast()
		p.mu.Unlock()
	})
	p.answers.Wait()
	timer.Stop()
	return true
}

// abandon gives the silent producer up, p.mu held: its records in flight
// no longer count (their late answers are ignored), the batch fails at its
// barrier and is read again, and the barrier renews the producer. Order
// holds: a record still in the old producer can only be a duplicate,
// since the batch read again sends each order's versions one after the
// other, each acknowledged before the next.
func (p *pipeline) abandon() {
	if p.failure == nil {
		p.failure = errProducerSilent
	}
	p.gen++
	p.inFlight = 0
	clear(p.keys)
	clear(p.queued)
	p.stale = true
	p.answers.Broadcast()
}

// renewProducer replaces a producer given up, p.mu held. The old one is
// closed in the background: closing waits for its answers, which may
// never come. When no new producer can be made (Kafka unreachable), the
// old one stays and the next barrier tries again.
func (p *pipeline) renewProducer() {
	if !p.stale || p.renew == nil {
		return
	}
	next, err := p.renew()
	if err != nil {
		return
	}
	old := p.out
	p.use(next)
	p.stale = false
	go func() { _ = old.Close() }()
}

// closeProducer closes the current producer (the forwarder's, when it made it).
func (p *pipeline) closeProducer() error {
	p.mu.Lock()
	out := p.out
	p.mu.Unlock()
	return out.Close()
}

// maySend reports, p.mu held, that msg may still go to the producer: its
// batch has not failed, no producer was given up since the send began
// (gen), and the subscriber still waits for msg.
func (p *pipeline) maySend(gen uint64, msg *message.Message) bool {
	return !p.batchFailed() && gen == p.gen && msg.Context().Err() == nil
}
