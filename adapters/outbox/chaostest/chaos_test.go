//go:build chaos

package chaostest

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/relay"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/internal/testenv"
)

// scale is the size of a run: -short for the quick version that `make
// test` runs, the full one otherwise.
type scale struct {
	orders, versions int
	rate             time.Duration // between two writes of one writer
	kills            int
	kafkaOutage      time.Duration
}

func runScale(t *testing.T) scale {
	if testing.Short() {
		// The writes take about 1.5 s, so that the kill (at 0.3 s), the
		// outage (from 0.5 s) and the restart (at 0.7 s) happen during them.
		return scale{orders: 200, versions: 3, rate: 50 * time.Millisecond, kills: 1, kafkaOutage: 5 * time.Second}
	}
	return scale{orders: 2000, versions: 3, rate: 5 * time.Millisecond, kills: 8, kafkaOutage: 30 * time.Second}
}

func TestForwarderSurvivesSIGKILL(t *testing.T) {
	h := newHarness(t)
	s := runScale(t)
	h.startForwarder()
	done := h.writeOrders(s)
	for i := range s.kills {
		time.Sleep(time.Duration(300+200*(i%4)) * time.Millisecond)
		h.killForwarder()
		time.Sleep(100 * time.Millisecond)
		h.startForwarder()
	}
	<-done
	h.check(2 * time.Minute)
}

func TestForwarderSurvivesAKafkaOutage(t *testing.T) {
	h := newHarness(t)
	s := runScale(t)
	h.startForwarder()
	done := h.writeOrders(s)
	time.Sleep(500 * time.Millisecond)
	h.services("stop-kafka")
	t.Cleanup(func() { h.services("start-kafka") }) // whatever happens
	time.Sleep(s.kafkaOutage)
	h.services("start-kafka")
	<-done
	h.check(3 * time.Minute)
}

func TestForwarderSurvivesAPostgreSQLRestart(t *testing.T) {
	h := newHarness(t)
	s := runScale(t)
	h.startForwarder()
	done := h.writeOrders(s)
	time.Sleep(700 * time.Millisecond)
	h.services("restart-postgres")
	<-done
	h.check(2 * time.Minute)
}

type harness struct {
	t       *testing.T
	root    string
	binary  string
	db      *sql.DB
	dbURL   string
	brokers []string
	topic   string

	mu       sync.Mutex
	cmd      *exec.Cmd
	want     map[string]int // order -> last committed version
	attempts atomic.Int64
}

func newHarness(t *testing.T) *harness {
	closeInheritedFilesOnExec()
	root := repoRoot(t)
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	h := &harness{
		t: t, root: root, db: db, dbURL: dbURL, brokers: brokers,
		topic: testenv.Topic(t, brokers, 6), want: map[string]int{},
		binary: filepath.Join(t.TempDir(), "orders"),
	}
	build := exec.Command("go", "build", "-o", h.binary, "./cmd/orders")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/orders: %v\n%s", err, out)
	}
	t.Cleanup(h.killForwarder)
	return h
}

func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test")
		}
		dir = parent
	}
}

// services runs scripts/services.sh with the given command.
// closeInheritedFilesOnExec marks the files this process inherited, such
// as the benchmark lock `flock` holds open for its command, close-on-exec:
// otherwise the broker or database that services.sh starts inherits them
// and holds the lock for as long as it runs.
var closeInheritedFilesOnExec = sync.OnceFunc(func() {
	entries, _ := os.ReadDir("/proc/self/fd")
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
})

func (h *harness) services(command string) {
	h.t.Helper()
	start := time.Now()
	cmd := exec.Command("bash", filepath.Join(h.root, "scripts", "services.sh"), command)
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.t.Fatalf("scripts/services.sh %s: %v\n%s", command, err, out)
	}
	h.t.Logf("scripts/services.sh %s took %s", command, time.Since(start).Round(time.Millisecond))
}

func (h *harness) startForwarder() {
	h.mu.Lock()
	defer h.mu.Unlock()
	cmd := exec.Command(h.binary, "forward")
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+h.dbURL,
		"KAFKA_BROKERS="+h.brokers[0],
		"ORDERS_TOPIC="+h.topic,
		"METRICS_ADDR=off",
		"FORWARDER_IDLE_POLL_INTERVAL=200ms",
		"LOG_LEVEL=warn",
	)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		h.t.Fatalf("start the forwarder: %v", err)
	}
	h.cmd = cmd
}

// killForwarder SIGKILLs the forwarder process, if one runs.
func (h *harness) killForwarder() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cmd == nil {
		return
	}
	_ = h.cmd.Process.Signal(syscall.SIGKILL)
	_ = h.cmd.Wait()
	h.cmd = nil
}

// writeOrders writes s.orders orders of s.versions versions each, from 20
// writers, as the API does: one transaction per version, and a wake-up
// after each commit. A version whose commit failed is written again (it
// may then appear twice on Kafka, never be missing).
func (h *harness) writeOrders(s scale) <-chan struct{} {
	notifier, err := relay.NewNotifier(h.db, relay.NotifierConfig{Outbox: outbox.Orders}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	pub, err := outbox.NewPublisher(outbox.PublisherConfig{Outbox: outbox.Orders, WakeUp: notifier.Wake}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	ids := make(chan string)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				for v := 1; v <= s.versions; v++ {
					h.writeVersion(pub, id, v)
					time.Sleep(s.rate)
				}
			}
		}()
	}
	go func() {
		for range s.orders {
			ids <- uuid.NewString()
		}
		close(ids)
		wg.Wait()
		close(done)
	}()
	return done
}

func (h *harness) writeVersion(pub *outbox.Publisher, id string, version int) {
	payload, _ := json.Marshal(map[string]any{"order": id, "version": version})
	msgID := uuid.NewString()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		h.attempts.Add(1)
		err := h.tryWrite(pub, id, msgID, payload)
		if err == nil {
			h.mu.Lock()
			h.want[id] = version
			h.mu.Unlock()
			return
		}
		if time.Now().After(deadline) {
			h.t.Errorf("order %s version %d: not written within 2 minutes: %v", id, version, err)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (h *harness) tryWrite(pub *outbox.Publisher, id, msgID string, payload []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg := message.NewMessage(msgID, payload)
	msg.Metadata.Set(outbox.MetadataPartitionKey, id)
	return pgtx.Do(ctx, h.db, func(uow *pgtx.UnitOfWork) error {
		return pub.Publish(ctx, uow, h.topic, msg)
	})
}

// check waits until every committed version is on Kafka, then reports
// losses and per-order inversions as failures and duplicates in the log.
func (h *harness) check(within time.Duration) {
	h.t.Helper()
	h.mu.Lock()
	want := make(map[string]int, len(h.want))
	total := 0
	for k, v := range h.want {
		want[k] = v
		total += v
	}
	h.mu.Unlock()

	type event struct {
		Order   string `json:"order"`
		Version int    `json:"version"`
	}
	deadline := time.Now().Add(within)
	var (
		seen       map[event]int
		duplicates int
		records    int
	)
	for {
		seen, duplicates, records = map[event]int{}, 0, 0
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := kafka.ReadTopic(ctx, h.brokers, h.topic, false, func(r kafka.Record) error {
			var e event
			if err := json.Unmarshal(r.Value, &e); err != nil {
				return err
			}
			records++
			seen[e]++
			if seen[e] > 1 {
				duplicates++
			}
			return nil
		})
		cancel()
		if err != nil {
			h.t.Fatalf("read %s: %v", h.topic, err)
		}
		if len(seen) >= total || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}

	// Lost: a committed version missing. Order: the first delivery of each
	// version comes after the first delivery of the one before (checked by
	// reading again in Kafka order).
	lost := 0
	for order, last := range want {
		for v := 1; v <= last; v++ {
			if seen[event{order, v}] == 0 {
				lost++
			}
		}
	}
	first := map[string]int{}
	firstSeen := map[event]bool{}
	inversions := 0
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := kafka.ReadTopic(ctx, h.brokers, h.topic, false, func(r kafka.Record) error {
		var e event
		if err := json.Unmarshal(r.Value, &e); err != nil {
			return err
		}
		if firstSeen[e] {
			return nil
		}
		firstSeen[e] = true
		if e.Version != first[e.Order]+1 {
			inversions++
		}
		first[e.Order] = e.Version
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Logf("orders: %d, committed events: %d (write attempts %d), records on Kafka: %d, distinct: %d, duplicates: %d, lost: %d, per-order inversions: %d",
		len(want), total, h.attempts.Load(), records, len(seen), duplicates, lost, inversions)
	if lost > 0 {
		h.t.Errorf("%d committed events never reached Kafka", lost)
	}
	if inversions > 0 {
		h.t.Errorf("%d events reached Kafka before an earlier version of their order", inversions)
	}
	if len(seen) > total {
		h.t.Logf("%d events on Kafka whose commit reported an error (the commit had gone through)", len(seen)-total)
	}
}
