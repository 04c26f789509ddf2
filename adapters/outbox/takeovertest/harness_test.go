package takeovertest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/outbox"
	"github.com/orderflow/orders/adapters/outbox/internal/shard"
	"github.com/orderflow/orders/adapters/outbox/relay"
	"github.com/orderflow/orders/adapters/postgres/pgtx"
	"github.com/orderflow/orders/internal/testenv"
)

// harness runs `orders forward` processes of its own on a test database of
// its own and a topic of its own; it never touches the shared services.
type harness struct {
	t       *testing.T
	binary  string
	db      *sql.DB
	dbURL   string
	brokers []string
	topic   string

	mu       sync.Mutex
	versions map[string]int // order -> last committed version
}

func newHarness(t *testing.T) *harness {
	db, dbURL := testenv.DBWithURL(t)
	brokers := testenv.Kafka(t)
	h := &harness{
		t: t, db: db, dbURL: dbURL, brokers: brokers, topic: testenv.Topic(t, brokers, 6),
		binary: testenv.BuildOrders(t), versions: map[string]int{},
	}
	return h
}

// relayProcess is one `orders forward`, its log in a buffer.
type relayProcess struct {
	name   string
	cmd    *exec.Cmd
	log    *testenv.SyncBuffer
	exited chan struct{} // closed when the process ended
}

// start runs `orders forward` as application_name name, with env added.
func (h *harness) start(name string, env ...string) *relayProcess {
	p := &relayProcess{name: name, log: &testenv.SyncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(h.binary, "forward")
	p.cmd.Env = append(os.Environ(),
		"DATABASE_URL="+h.dbURL+"&application_name="+name,
		"KAFKA_BROKERS="+h.brokers[0],
		"ORDERS_TOPIC="+h.topic,
		"METRICS_ADDR=127.0.0.1:0", // two relays on one host: each its own address
		"FORWARDER_BATCH_SIZE=50",  // short turns, so both relays hold shards
		"LOG_LEVEL=info",
	)
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		h.t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	h.t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGCONT)
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
		if h.t.Failed() {
			h.t.Logf("log of %s:\n%s", name, p.log.String())
		}
	})
	return p
}

func (p *relayProcess) signal(t *testing.T, sig syscall.Signal) {
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("%s to %s: %v", sig, p.name, err)
	}
}

// heldShards returns the shards whose lock a session of application app
// holds, with the holding backend's PID.
func (h *harness) heldShards(app string) map[string]int64 {
	held := map[string]int64{}
	for _, topic := range outbox.Orders.SQLTopics() {
		classID, objID := shard.LockID(topic, outbox.DefaultConsumerGroup)
		var pid int64
		err := h.db.QueryRow(`
			SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid
				AND l.objsubid = 1 AND a.application_name = $3`, classID, objID, app).Scan(&pid)
		if err == nil {
			held[topic] = pid
		}
	}
	return held
}

func (h *harness) position(topic string) string {
	var p string
	if err := h.db.QueryRow(`SELECT last_processed_transaction_id || '/' || offset_acked FROM `+outbox.OffsetsTable(topic)+
		` WHERE consumer_group = $1`, outbox.DefaultConsumerGroup).Scan(&p); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// write runs writers until ctx ends: each writes its orders' versions one
// transaction at a time, and wakes the relays as the API does.
func (h *harness) write(ctx context.Context, writers int, pause time.Duration) <-chan struct{} {
	notifier, err := relay.NewNotifier(h.db, relay.NotifierConfig{Outbox: outbox.Orders}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	pub, err := outbox.NewPublisher(outbox.PublisherConfig{Outbox: outbox.Orders, WakeUp: notifier.Wake}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				order := fmt.Sprintf("w%d-order-%d", w, i%25)
				h.mu.Lock()
				v := h.versions[order] + 1
				h.mu.Unlock()
				payload, _ := json.Marshal(event{Order: order, Version: v})
				msg := message.NewMessage(uuid.NewString(), payload)
				msg.Metadata.Set(outbox.MetadataPartitionKey, order)
				// A write that started finishes: stopping the writers must
				// not leave a version half-written.
				wctx := context.WithoutCancel(ctx)
				err := pgtx.Do(wctx, h.db, func(uow *pgtx.UnitOfWork) error {
					return pub.Publish(wctx, uow, h.topic, msg)
				})
				if err != nil {
					h.t.Errorf("write %s v%d: %v", order, v, err)
					return
				}
				h.mu.Lock()
				h.versions[order] = v
				h.mu.Unlock()
				time.Sleep(pause)
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	return done
}

type event struct {
	Order   string `json:"order"`
	Version int    `json:"version"`
}

// check waits until every committed version is on Kafka, then fails on a
// missing one or on a first delivery out of version order; it returns the
// number of duplicates.
func (h *harness) check(within time.Duration) (records, duplicates int) {
	h.t.Helper()
	h.mu.Lock()
	total := 0
	for _, v := range h.versions {
		total += v
	}
	h.mu.Unlock()
	deadline := time.Now().Add(within)
	for {
		seen, last := map[event]bool{}, map[string]int{}
		records, duplicates = 0, 0
		var inversions []string
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := kafka.ReadTopic(ctx, h.brokers, h.topic, false, func(r kafka.Record) error {
			var e event
			if err := json.Unmarshal(r.Value, &e); err != nil {
				return err
			}
			records++
			if seen[e] {
				duplicates++
				return nil
			}
			seen[e] = true
			if e.Version != last[e.Order]+1 {
				inversions = append(inversions, fmt.Sprintf("%s v%d after v%d", e.Order, e.Version, last[e.Order]))
			}
			last[e.Order] = e.Version
			return nil
		})
		cancel()
		if err != nil {
			h.t.Fatalf("read %s: %v", h.topic, err)
		}
		if len(seen) < total && time.Now().Before(deadline) {
			time.Sleep(500 * time.Millisecond)
			continue
		}
		if len(inversions) > 0 {
			h.t.Errorf("%d first deliveries out of order, such as %v", len(inversions), inversions[0])
		}
		if len(seen) < total {
			h.t.Errorf("%d of %d committed events never reached Kafka", total-len(seen), total)
		}
		return records, duplicates
	}
}
