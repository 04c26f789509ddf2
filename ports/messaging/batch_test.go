package messaging

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/orderflow/orders/platform/contracts/envelope"
)

// recordingTx is a BatchTransaction that records what the batching did
// with it: which messages ran on it and how it ended. The PostgreSQL side
// (pgtx.Batch) is tested in cmd/orders/service on the real database.
type recordingTx struct {
	mu      *sync.Mutex
	ended   *[]string
	members []string
}

type (
	txKey    struct{}
	awaitKey struct{}
	roundKey struct{}
)

func (tx *recordingTx) Join(ctx context.Context, awaitCommit func() error, awaitRound func()) context.Context {
	ctx = context.WithValue(context.WithValue(ctx, txKey{}, tx), awaitKey{}, awaitCommit)
	return context.WithValue(ctx, roundKey{}, awaitRound)
}

func (tx *recordingTx) Commit() error   { return tx.end("commit") }
func (tx *recordingTx) Rollback() error { return tx.end("rollback") }
func (tx *recordingTx) Continue(partitionKeys []string) {
	_ = tx.end("continue")
}

func (tx *recordingTx) end(how string) error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	*tx.ended = append(*tx.ended, how)
	return nil
}

// batchHarness runs messages through the batching middleware with a
// handler that blocks until released, so that a test decides who waits.
type batchHarness struct {
	mu      sync.Mutex
	ended   []string
	alone   []string // messages handled outside any batch
	batched [][]string
	release chan struct{}
	started chan struct{} // a message is handled alone, blocked on release
	fail    map[string]bool
	sizes   []int // of the batches that ended, as reported
	b       *batching

	await     map[string]bool          // members that await the commit, then go on
	awaited   map[string]string        // what each saw: how the batch had ended, or the error
	failLater map[string]bool          // members that fail after they awaited the commit
	slow      map[string]time.Duration // how long a member's call after the commit takes
}

func newBatchHarness(linger time.Duration, events ...string) *batchHarness {
	h := &batchHarness{release: make(chan struct{}), started: make(chan struct{}, 100), fail: map[string]bool{},
		await: map[string]bool{}, awaited: map[string]string{}, failLater: map[string]bool{}, slow: map[string]time.Duration{}}
	h.b = newBatching(func(context.Context, []string) (BatchTransaction, error) {
		tx := &recordingTx{mu: &h.mu, ended: &h.ended}
		return tx, nil
	}, 3, linger, events, func(size int, committed bool) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.sizes = append(h.sizes, size)
	})
	return h
}

func (h *batchHarness) handler(msg *message.Message) ([]*message.Message, error) {
	tx, _ := msg.Context().Value(txKey{}).(*recordingTx)
	if tx == nil {
		h.started <- struct{}{}
		<-h.release
		h.mu.Lock()
		h.alone = append(h.alone, msg.UUID)
		h.mu.Unlock()
		return nil, nil
	}
	h.mu.Lock()
	tx.members = append(tx.members, msg.UUID)
	if len(tx.members) == 1 {
		h.batched = append(h.batched, nil)
	}
	h.batched[len(h.batched)-1] = append([]string(nil), tx.members...)
	fail, await := h.fail[msg.UUID], h.await[msg.UUID]
	h.mu.Unlock()
	if fail {
		return nil, errors.New("bad message")
	}
	if !await {
		return nil, nil
	}
	err := msg.Context().Value(awaitKey{}).(func() error)()
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.awaited[msg.UUID] = err.Error()
		return nil, err
	}
	h.awaited[msg.UUID] = strings.Join(h.ended, ",")
	h.ended = append(h.ended, "called "+msg.UUID) // the gateway, after the commit
	slow := h.slow[msg.UUID]
	h.mu.Unlock()
	time.Sleep(slow)
	if h.failLater[msg.UUID] {
		h.mu.Lock()
		return nil, errors.New("gateway down")
	}
	msg.Context().Value(roundKey{}).(func())() // its first write in the second round
	h.mu.Lock()
	h.ended = append(h.ended, "wrote "+msg.UUID)
	return nil, nil
}

func (h *batchHarness) waiting() int {
	h.b.mu.Lock()
	defer h.b.mu.Unlock()
	return len(h.b.waiting)
}

// handle runs ids through the middleware concurrently, the first one
// first, and returns once all are handled.
func (h *batchHarness) handle(t *testing.T, ids ...string) {
	t.Helper()
	run := h.b.middleware(h.handler)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			msg := message.NewMessage(id, nil)
			if _, err := run(msg); err != nil && !h.fail[id] {
				t.Errorf("%s: %v", id, err)
			}
		})
		if i == 0 {
			<-h.started // the first runs alone; the others wait for it
		}
		for h.waiting() < i { // in the order given
			time.Sleep(time.Millisecond)
		}
	}
	close(h.release)
	wg.Wait()
}

func TestAMessageThatFindsNothingRunningRunsAlone(t *testing.T) {
	h := newBatchHarness(0)
	h.handle(t, "m1")
	if len(h.alone) != 1 || len(h.batched) != 0 {
		t.Fatalf("alone %v, batched %v: want m1 alone", h.alone, h.batched)
	}
}

func TestMessagesThatWaitRunAsBatchesOfAtMostTheSize(t *testing.T) {
	h := newBatchHarness(0)
	h.handle(t, "m1", "m2", "m3", "m4", "m5", "m6")
	if len(h.alone) != 1 || h.alone[0] != "m1" {
		t.Errorf("alone: %v, want [m1]", h.alone)
	}
	sizes := 0
	for _, b := range h.batched {
		if len(b) > 3 {
			t.Errorf("batch %v holds more than 3", b)
		}
		sizes += len(b)
	}
	if sizes != 5 || len(h.batched) != 2 {
		t.Errorf("batches %v: want the 5 waiting messages in 2 batches", h.batched)
	}
	if len(h.sizes) != 2 || h.sizes[0]+h.sizes[1] != 5 {
		t.Errorf("batches reported as ended: %v, want the two, of 5 messages in all", h.sizes)
	}
	for _, how := range h.ended {
		if how != "commit" {
			t.Errorf("a batch ended with %s", how)
		}
	}
}

func TestAFailedMemberRollsTheBatchBackAndEveryMemberRunsAlone(t *testing.T) {
	h := newBatchHarness(0)
	h.fail["m3"] = true
	h.handle(t, "m1", "m2", "m3", "m4")
	if len(h.ended) != 1 || h.ended[0] != "rollback" {
		t.Fatalf("batches ended %v, want one rollback", h.ended)
	}
	if len(h.sizes) != 1 || h.sizes[0] != 3 {
		t.Errorf("batches reported as ended: %v, want one of 3 (m4 never ran in it, but was its member)", h.sizes)
	}
	// m1 alone at first; then m2, m3, m4 alone after the rollback (m4 never
	// ran in the batch: it came after the failure).
	if len(h.alone) != 4 {
		t.Errorf("alone: %v, want every message", h.alone)
	}
}

func TestAMessageOfAnEventThatIsNotBatchedNeverWaitsForABatch(t *testing.T) {
	h := newBatchHarness(0, "OrderPlaced")
	run := h.b.middleware(h.handler)
	ofType := func(id, name string) *message.Message {
		msg := message.NewMessage(id, nil)
		msg.Metadata.Set(envelope.MetadataEventName, name)
		return msg
	}
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = run(ofType("m1", "OrderPlaced")) })
	<-h.started // m1 runs alone: a batchable message that arrives now waits for it
	wg.Go(func() { _, _ = run(ofType("m2", "OrderStockReserved")) })
	select {
	case <-h.started: // m2 runs at once, beside m1
	case <-time.After(5 * time.Second):
		t.Fatalf("a message of an event not batched waited (%d waiting)", h.waiting())
	}
	close(h.release)
	wg.Wait()
	if len(h.alone) != 2 || len(h.batched) != 0 {
		t.Errorf("alone %v, batched %v: want both alone", h.alone, h.batched)
	}
}

// TestAMemberThatAwaitsTheCommitGoesOnOnceTheBatchCommitted: m2 leaves
// the batch halfway (a charge's intent is written; the gateway's call must
// follow its commit) and goes on only once the batch has committed, m3
// after it included; when m3 fails instead, m2 learns it and runs alone.
func TestAMemberThatAwaitsTheCommitGoesOnOnceTheBatchCommitted(t *testing.T) {
	h := newBatchHarness(0)
	h.await["m2"] = true
	h.handle(t, "m1", "m2", "m3")
	if len(h.batched) != 1 || len(h.batched[0]) != 2 {
		t.Fatalf("batches %v, want m2 and m3 in one", h.batched)
	}
	if got := h.awaited["m2"]; got != "commit,continue" {
		t.Errorf("m2 went on when the batches had ended %q, want after the commit, in a second round", got)
	}
	if len(h.alone) != 1 {
		t.Errorf("alone: %v, want only m1", h.alone)
	}

	h = newBatchHarness(0)
	h.await["m2"] = true
	h.fail["m3"] = true
	h.handle(t, "m1", "m2", "m3")
	if len(h.ended) != 1 || h.ended[0] != "rollback" {
		t.Fatalf("batches ended %v, want one rollback", h.ended)
	}
	if got := h.awaited["m2"]; got != "bad message" {
		t.Errorf("m2's wait for the commit answered %q, want the failure that rolled the batch back", got)
	}
	if len(h.alone) != 3 {
		t.Errorf("alone: %v, want every message (m2 and m3 again, after the rollback)", h.alone)
	}
}

// TestMembersThatAwaitedTheCommitShareASecondRound: m2 and m3 await the
// batch's commit (charges' intents), call the gateway, then write (the
// answers): in one more transaction, which begins only once both calls
// returned (m3's is slow) and commits once both have ended. m1 ran alone
// before.
func TestMembersThatAwaitedTheCommitShareASecondRound(t *testing.T) {
	h := newBatchHarness(0)
	h.await["m2"], h.await["m3"] = true, true
	h.slow["m3"] = 50 * time.Millisecond
	h.handle(t, "m1", "m2", "m3", "m4")
	if len(h.batched) != 1 || len(h.batched[0]) != 3 {
		t.Fatalf("batches %v, want m2, m3 and m4 in one", h.batched)
	}
	want := map[string]bool{
		"commit,continue,called m2,called m3,wrote m2,wrote m3,commit": true, "commit,continue,called m3,called m2,wrote m2,wrote m3,commit": true,
		"commit,continue,called m2,called m3,wrote m3,wrote m2,commit": true, "commit,continue,called m3,called m2,wrote m3,wrote m2,commit": true,
	}
	if got := strings.Join(h.ended, ","); !want[got] {
		t.Errorf("the batch went %q, want its commit, both calls, then both answers in a second round, and its commit", got)
	}
	if len(h.alone) != 1 {
		t.Errorf("alone: %v, want only m1", h.alone)
	}
	if len(h.sizes) != 1 || h.sizes[0] != 3 {
		t.Errorf("batches reported as ended: %v, want one of 3 (the second round is not another batch)", h.sizes)
	}
}

// TestAMemberThatFailsInTheSecondRoundRunsAloneAndTheOthersCommit: what
// m3 wrote after the commit is committed, as it would be alone; m2, whose
// gateway failed, runs again alone.
func TestAMemberThatFailsInTheSecondRoundRunsAloneAndTheOthersCommit(t *testing.T) {
	h := newBatchHarness(0)
	h.await["m2"], h.await["m3"] = true, true
	h.failLater["m2"] = true
	run := h.b.middleware(h.handler)
	var wg sync.WaitGroup
	errs := make(map[string]error)
	var mu sync.Mutex
	for i, id := range []string{"m1", "m2", "m3"} {
		wg.Go(func() {
			_, err := run(message.NewMessage(id, nil))
			mu.Lock()
			errs[id] = err
			mu.Unlock()
		})
		if i == 0 {
			<-h.started
		}
		for h.waiting() < i {
			time.Sleep(time.Millisecond)
		}
	}
	close(h.release)
	wg.Wait()
	if got := h.ended[len(h.ended)-1]; got != "commit" || !strings.Contains(strings.Join(h.ended, ","), "wrote m3") {
		t.Errorf("the batch went %v, want m3's answer in a committed second round", h.ended)
	}
	if len(h.alone) != 2 || h.alone[1] != "m2" {
		t.Errorf("alone: %v, want m1, then m2 again after its failure", h.alone)
	}
	if errs["m2"] != nil || errs["m3"] != nil {
		t.Errorf("errors: %v, want m2 done alone and m3 in the batch", errs)
	}
}
