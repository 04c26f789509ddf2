package messaging

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/platform/contracts/envelope"
)

// BatchTransaction is one database transaction that the handlers of several
// messages share: the units of work started with a context from Join run
// in it, and commit with it. A handler whose work must follow the commit
// (a charge's call to the gateway) calls awaitCommit through its context:
// its part in the batch ends there, and it goes on once the batch has
// ended, with the commit's error. After a commit that members awaited,
// Continue gives those members a second transaction to share for what they
// write next (the charges' answers), committed by the next Commit; a
// member's first unit of work in it calls awaitRound, which returns once
// every member of the round has come that far or ended.
type BatchTransaction interface {
	Join(ctx context.Context, awaitCommit func() error, awaitRound func()) context.Context
	Commit() error
	Rollback() error
	Continue(partitionKeys []string)
}

// BeginBatch starts a BatchTransaction on the consumer's database, for
// members with these partition keys (their orders).
type BeginBatch func(ctx context.Context, partitionKeys []string) (BatchTransaction, error)

// batching runs the messages that wait for the consumer's database as
// batches, one transaction each; a message that finds nothing running runs
// alone at once, and a failed batch runs each of its messages alone. The
// whole contract is in docs/saga.md, "Batches".
type batching struct {
	begin  BeginBatch
	max    int
	linger time.Duration
	events map[string]bool // nil: every message may be batched
	ended  func(size int, committed bool)

	mu      sync.Mutex
	waiting []*batchMember
	running bool
	arrived chan struct{} // signalled on each arrival while the leader lingers
}

// batchMember is one message's handler call waiting in, or running in, a
// batch. Only the handler's goroutine calls end and awaitCommit.
type batchMember struct {
	key      string                // the message's partition key
	assigned chan BatchTransaction // nil: run alone
	done     chan result           // the handler's result in the round it is in
	outcome  chan result           // the round's commit
	open     chan struct{}         // the second round begins
	reported bool                  // done was sent in this round
	ended    *result               // the round's outcome, once received
}

// end reports the member's result to the batch's leader, once a round, and
// waits for the round to end: its commit's error.
func (m *batchMember) end(err error) error {
	return m.report(result{err: err})
}

// awaitCommit ends the member's part in its round, and waits for the
// round's commit; a continued batch takes it into its second round.
func (m *batchMember) awaitCommit() error {
	err := m.report(result{awaiting: true})
	if err == nil && m.ended.continued {
		m.reported, m.ended = false, nil
	}
	return err
}

// awaitRound tells the leader that the member is ready to write in the
// second round, and waits until every member of the round is.
func (m *batchMember) awaitRound() {
	m.done <- result{arrived: true}
	<-m.open
}

func (m *batchMember) report(r result) error {
	if !m.reported {
		m.reported = true
		m.done <- r
	}
	if m.ended == nil {
		r := <-m.outcome
		m.ended = &r
	}
	return m.ended.err
}

// result is what a member and the batch's leader tell each other: the
// member's error, or that it awaits the commit, or that it is ready to
// write in the second round; the round's error, and whether the member
// goes on in a second round.
type result struct {
	err       error
	awaiting  bool
	arrived   bool
	continued bool
}

type aloneKey struct{}

func newBatching(begin BeginBatch, maxSize int, linger time.Duration, events []string, ended func(size int, committed bool)) *batching {
	b := &batching{begin: begin, max: maxSize, linger: linger, ended: ended, arrived: make(chan struct{}, 1)}
	if len(events) > 0 {
		b.events = map[string]bool{}
		for _, name := range events {
			b.events[name] = true
		}
	}
	return b
}

func (b *batching) middleware(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		if msg.Context().Value(aloneKey{}) != nil {
			return h(msg) // failed in a batch before: its retries run alone
		}
		if b.events != nil && !b.events[msg.Metadata.Get(envelope.MetadataEventName)] {
			return h(msg)
		}
		m := &batchMember{key: msg.Metadata.Get(envelope.MetadataPartitionKey), assigned: make(chan BatchTransaction, 1), done: make(chan result, 1), outcome: make(chan result, 1), open: make(chan struct{}, 1)}
		b.enqueue(m)
		tx := <-m.assigned
		if tx == nil {
			produced, err := h(msg)
			m.done <- result{err: err}
			return produced, err
		}
		ctx := msg.Context()
		produced, err := b.runInBatch(h, msg, tx, m)
		msg.SetContext(ctx)
		// Alone only once the batch has ended: its locks are gone.
		if committed := m.end(err); err == nil && committed == nil {
			return produced, nil
		}
		msg.SetContext(context.WithValue(ctx, aloneKey{}, true))
		return h(msg)
	}
}

// runInBatch runs h on the batch's transaction; a panic fails the batch
// (unless h had left it) and goes on up.
func (b *batching) runInBatch(h message.HandlerFunc, msg *message.Message, tx BatchTransaction, m *batchMember) ([]*message.Message, error) {
	defer func() {
		if r := recover(); r != nil {
			_ = m.end(fmt.Errorf("panic in a batch: %v", r))
			panic(r) // after the batch ended; Recoverer makes it an error
		}
	}()
	msg.SetContext(tx.Join(msg.Context(), m.awaitCommit, m.awaitRound))
	return h(msg)
}

func (b *batching) enqueue(m *batchMember) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.waiting = append(b.waiting, m)
	if !b.running {
		b.running = true
		go b.lead()
		return
	}
	select {
	case b.arrived <- struct{}{}:
	default:
	}
}

// lead runs batches until no message waits. The first message runs at
// once; after a batch of n, when some messages wait but fewer than n, it
// lingers a little for the others that the batch's acknowledgements
// release (each partition hands out its next message once the last is
// acknowledged).
func (b *batching) lead() {
	for last := 0; ; {
		b.lingerForMore(min(last, b.max))
		b.mu.Lock()
		n := min(len(b.waiting), b.max)
		if n == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		members := b.waiting[:n:n]
		b.waiting = b.waiting[n:]
		b.mu.Unlock()
		b.run(members)
		last = n
	}
}

func (b *batching) lingerForMore(expected int) {
	if b.linger <= 0 || expected <= 1 {
		return
	}
	deadline := time.NewTimer(b.linger)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		n := len(b.waiting)
		b.mu.Unlock()
		if n == 0 || n >= expected {
			return
		}
		select {
		case <-b.arrived:
		case <-deadline.C:
			return
		}
	}
}

func (b *batching) run(members []*batchMember) {
	if len(members) == 1 {
		members[0].assigned <- nil
		<-members[0].done // alone: its error is its own
		return
	}
	keys := make([]string, 0, len(members))
	for _, m := range members {
		if m.key != "" {
			keys = append(keys, m.key)
		}
	}
	tx, err := b.begin(context.Background(), keys)
	if err != nil {
		for _, m := range members {
			m.assigned <- nil
			<-m.done // alone: its error is its own
		}
		return
	}
	size := len(members)
	var failed error
	var awaiting []*batchMember
	for i, m := range members {
		m.assigned <- tx
		done := <-m.done
		if done.err != nil {
			failed = done.err
			for _, rest := range members[i+1:] { // they never ran: alone
				rest.assigned <- nil
			}
			members = members[:i+1]
			break
		}
		if done.awaiting {
			awaiting = append(awaiting, m)
		}
	}
	if failed != nil {
		failed = errors.Join(failed, tx.Rollback())
	} else {
		failed = tx.Commit()
	}
	b.ended(size, failed == nil)
	continued := failed == nil && len(awaiting) > 0
	if continued {
		keys := make([]string, 0, len(awaiting))
		for _, m := range awaiting {
			if m.key != "" {
				keys = append(keys, m.key)
			}
		}
		tx.Continue(keys)
	}
	for _, m := range members {
		m.outcome <- result{err: failed, continued: continued && slices.Contains(awaiting, m)}
	}
	if continued {
		go secondRound(tx, awaiting)
	}
}

// secondRound runs the second round of the members that awaited the
// batch's commit: it begins once each has come to its first write after
// the commit or ended, so that its transaction is never open while a
// member calls another system (a charge's gateway), and commits once every
// one has ended (or awaited this round's commit). A member's own error
// does not roll the others back: what its units of work wrote before it
// failed is committed, as each would have been alone; a failed unit of
// work fails the round (BatchTransaction.Commit), and its members are
// done again alone.
func secondRound(tx BatchTransaction, members []*batchMember) {
	var writing []*batchMember
	for _, m := range members {
		if r := <-m.done; r.arrived {
			writing = append(writing, m)
		}
	}
	for _, m := range writing {
		m.open <- struct{}{}
	}
	for _, m := range writing {
		<-m.done
	}
	err := tx.Commit()
	for _, m := range members {
		m.outcome <- result{err: err}
	}
}
