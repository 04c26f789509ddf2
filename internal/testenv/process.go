package testenv

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// BuildOrders builds the orders binary into the test's temporary
// directory and returns its path, for tests that run it as processes.
func BuildOrders(t testing.TB) string {
	t.Helper()
	binary := filepath.Join(t.TempDir(), "orders")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", binary, "github.com/orderflow/orders/cmd/orders")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/orders: %v\n%s", err, out)
	}
	return binary
}

// Process is a process the test started: its output goes to Log; it is
// killed, if still running, when the test ends, and its log is shown when
// the test failed.
type Process struct {
	Name   string
	Cmd    *exec.Cmd
	Log    *SyncBuffer
	Exited chan struct{} // closed when the process ended
}

// StartProcess runs binary with args, the test's environment and env
// added (later entries win).
func StartProcess(t testing.TB, name, binary string, args []string, env ...string) *Process {
	t.Helper()
	p := &Process{Name: name, Log: &SyncBuffer{}, Exited: make(chan struct{})}
	// Not CommandContext: the test's context ends before its cleanups,
	// which kill the process and then show its log.
	p.Cmd = exec.Command(binary, args...) //nolint:noctx // killed by the cleanup below
	p.Cmd.Env = append(os.Environ(), env...)
	p.Cmd.Stdout, p.Cmd.Stderr = p.Log, p.Log
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = p.Cmd.Wait(); close(p.Exited) }()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("log of %s:\n%s", name, tail(p.Log.String(), 20_000))
		}
	})
	return p
}

// Kill SIGKILLs the process and waits until it ended.
func (p *Process) Kill() {
	_ = p.Cmd.Process.Signal(syscall.SIGCONT) // a stopped process dies too
	_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	<-p.Exited
}

// Running says whether the process has not ended.
func (p *Process) Running() bool {
	select {
	case <-p.Exited:
		return false
	default:
		return true
	}
}

// FreeAddr returns a 127.0.0.1 address with a port nobody listens on now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
