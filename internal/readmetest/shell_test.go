package readmetest

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// shell is one bash process that runs the walk-through's commands in
// turn, as a reader would type them into one terminal: variables such as
// TOKEN and id carry over from one command to the next.
type shell struct {
	stdin  io.WriteCloser
	lines  chan string // bash's own output: the end marker of each command
	stderr *testenv.SyncBuffer
	dir    string // each command's script and output
	marker string
	n      int
}

// startShell starts bash in dir with env; it is killed when the test ends.
func startShell(t *testing.T, dir string, env []string) *shell {
	t.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	s := &shell{lines: make(chan string, 16), stderr: &testenv.SyncBuffer{}, dir: t.TempDir(), marker: "walkthrough-done-" + hex.EncodeToString(b)}
	cmd := exec.Command("bash", "--noprofile", "--norc") //nolint:noctx // killed by the cleanup below
	cmd.Dir, cmd.Env, cmd.Stderr = dir, env, s.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start bash: %v", err)
	}
	s.stdin = stdin
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return s
}

// run runs command in the shell and returns its output (stdout and stderr)
// and exit status. Each command is sourced from a file of its own, with
// no stdin: a syntax error is then that command's failure, and nothing
// reads the shell's input meant for the next command.
func (s *shell) run(command string, timeout time.Duration) (output string, status int, err error) {
	s.n++
	script := filepath.Join(s.dir, fmt.Sprintf("command-%d.sh", s.n))
	out := filepath.Join(s.dir, fmt.Sprintf("output-%d", s.n))
	if err := os.WriteFile(script, []byte(command+"\n"), 0o600); err != nil {
		return "", 0, fmt.Errorf("write the command: %w", err)
	}
	if _, err := fmt.Fprintf(s.stdin, "source '%s' </dev/null >'%s' 2>&1; echo \"%s $?\"\n", script, out, s.marker); err != nil {
		return "", 0, fmt.Errorf("bash has ended (%s): %w", s.stderr.String(), err)
	}
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				return "", 0, fmt.Errorf("bash has ended: %s", s.stderr.String())
			}
			code, found := strings.CutPrefix(line, s.marker+" ")
			if !found {
				continue
			}
			b, err := os.ReadFile(out)
			if err != nil {
				return "", 0, fmt.Errorf("read the command's output: %w", err)
			}
			status, err := strconv.Atoi(code)
			if err != nil {
				return "", 0, fmt.Errorf("exit status %q: %w", code, err)
			}
			return string(b), status, nil
		case <-deadline:
			b, _ := os.ReadFile(out)
			return string(b), 0, fmt.Errorf("still running after %v", timeout)
		}
	}
}
