//go:build chaos

package chaostest

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
