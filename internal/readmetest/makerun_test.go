package readmetest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// readmePorts are the ports the README's commands talk to: the order,
// inventory and payment APIs of `make run`.
var readmePorts = []int{8080, 8081, 8082}

// makeRun is `make run` in a process group of its own, so that a signal
// reaches make, `go run` and the service it started alike.
type makeRun struct {
	cmd    *exec.Cmd
	log    *testenv.SyncBuffer
	exited chan struct{}
}

// checkPortsFree fails the test when something listens on a port the
// README names: the walk-through would talk to that instead.
func checkPortsFree(t *testing.T) {
	t.Helper()
	for _, port := range readmePorts {
		ln, err := new(net.ListenConfig).Listen(t.Context(), "tcp", fmt.Sprintf(":%d", port))
		if err != nil {
			t.Fatalf("port %d is taken (%v): the README's walk-through talks to `make run` on :8080, :8081 and :8082.\n"+
				"Stop what listens there (`ss -ltnp 'sport = :%d'` names it; another `make run`?) and run the test again.", port, err, port)
		}
		_ = ln.Close()
	}
}

// startMakeRun runs `make run` in dir with env and waits until its three
// APIs answer /healthz. It is stopped when the test ends, and its output
// shown if the test failed.
func startMakeRun(t *testing.T, dir string, env []string) *makeRun {
	t.Helper()
	m := &makeRun{log: &testenv.SyncBuffer{}, exited: make(chan struct{})}
	m.cmd = exec.Command("make", "run") //nolint:noctx // stopped by the cleanup below
	m.cmd.Dir, m.cmd.Env, m.cmd.Stdout, m.cmd.Stderr = dir, env, m.log, m.log
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := m.cmd.Start(); err != nil {
		t.Fatalf("start make run: %v", err)
	}
	go func() { _ = m.cmd.Wait(); close(m.exited) }()
	t.Cleanup(func() {
		m.stop(t)
		if t.Failed() {
			t.Logf("output of make run:\n%s", m.log.String())
		}
	})

	client := &http.Client{Timeout: 5 * time.Second}
	// `make run` builds the service twice (migrate, then run): minutes on
	// a busy machine with a cold build cache.
	deadline := time.Now().Add(5 * time.Minute)
	for _, port := range readmePorts {
		url := fmt.Sprintf("http://127.0.0.1:%d/healthz", port)
		for {
			err := get(client, url)
			if err == nil {
				break
			}
			select {
			case <-m.exited:
				t.Fatalf("make run ended before %s answered: %v\n%s", url, m.cmd.ProcessState, m.log.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("make run: %s did not answer within 5 minutes: %v", url, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	return m
}

func get(client *http.Client, url string) error {
	resp, err := client.Get(url) //nolint:noctx // bounded by the client's timeout
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}

// stop SIGTERMs the process group and waits until make has ended and
// nothing of the group holds its output; after a minute, or if something
// of the group is still left, it SIGKILLs the group.
func (m *makeRun) stop(t *testing.T) {
	pgid := m.cmd.Process.Pid
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Errorf("SIGTERM make run: %v", err)
	}
	select {
	case <-m.exited:
	case <-time.After(time.Minute):
		t.Errorf("make run did not end within a minute of SIGTERM; killing it")
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-m.exited
	}
	if syscall.Kill(-pgid, 0) == nil {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}
