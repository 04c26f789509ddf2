//go:build chaos

package chaostest

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

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
	testenv.CloseInheritedFilesOnExec()
	root := testenv.RepoRoot(t)
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

// services runs scripts/services.sh with the given command.
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
