package readmetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

const (
	// readRetryFor bounds how long a read is run again until its output
	// matches: the saga moves orders on asynchronously.
	readRetryFor = 30 * time.Second
	// commandTimeout bounds one run of a command: `make token` and
	// `make tail` may build the service first.
	commandTimeout = 3 * time.Minute
)

// TestReadmeWalkthrough is the package's test (doc.go).
func TestReadmeWalkthrough(t *testing.T) {
	for tool, why := range map[string]string{
		"bash": "runs the commands",
		"make": "runs `make run`",
		"curl": "the walk-through's HTTP client",
		"jq":   "the walk-through reads the order ID with it",
	} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (%s): install it, e.g. `sudo apt-get install %s`", tool, why, tool)
		}
	}
	root := testenv.RepoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	steps, err := parseWalkthrough(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	checkPortsFree(t)

	env := systemEnv(t)
	start := time.Now()
	startMakeRun(t, root, env)
	t.Logf("make run answers after %v", time.Since(start).Round(time.Millisecond))

	sh := startShell(t, root, env)
	for _, s := range steps {
		runStep(t, sh, s)
	}
}

// runStep runs one command and checks its output against the comments
// under it; a read is run again until they match or readRetryFor passed.
func runStep(t *testing.T, sh *shell, s step) {
	t.Helper()
	want := outputPattern(s.expect)
	start := time.Now()
	for tries := 1; ; tries++ {
		out, status, err := sh.run(s.command, commandTimeout)
		switch {
		case err != nil:
			t.Fatalf("README.md:%d: %v\n%s", s.line, err, describe(s, out))
		case status != 0:
			t.Fatalf("README.md:%d: the command failed with exit status %d\n%s", s.line, status, describe(s, out))
		case want.MatchString(out):
			t.Logf("README.md:%d: ok after %v (%d run(s)): %s", s.line, time.Since(start).Round(time.Millisecond), tries, firstLine(s.command))
			return
		case !isRead(s.command) || time.Since(start) > readRetryFor:
			t.Fatalf("README.md:%d: the output does not match the comments under the command (%d run(s) in %v)\n%s",
				s.line, tries, time.Since(start).Round(time.Millisecond), describe(s, out))
		}
		time.Sleep(time.Second)
	}
}

// systemEnv is the environment of `make run` and of the shell: the
// inherited one (PGPORT, KAFKA_BROKERS, …), with a database and Kafka
// topics of the test's own, so that the walk-through meets the state of a
// first run and leaves the development ones alone.
func systemEnv(t *testing.T) []string {
	t.Helper()
	_, dbURL := testenv.EmptyDBWithURL(t) // `make run` migrates it
	system := testenv.SystemEnv(t, testenv.Kafka(t), 1)
	var env []string
	for _, kv := range os.Environ() {
		// A make above the test (`make test`) would make the README's
		// `make` commands print "Entering directory" lines.
		if name, _, _ := strings.Cut(kv, "="); name != "MAKEFLAGS" && name != "MFLAGS" && name != "MAKELEVEL" && name != "MAKEOVERRIDES" {
			env = append(env, kv)
		}
	}
	env = append(env, system...)
	for _, kv := range system {
		if topic, ok := strings.CutPrefix(kv, "ORDERS_TOPIC="); ok {
			env = append(env, "TOPIC="+topic) // `make tail`
		}
	}
	return append(env,
		"DATABASE_URL="+dbURL,
		"ORDERS_APP_DATABASE_URL="+testenv.RoleURL(t, dbURL, testenv.ServiceRoles["orders"]),
		"INVENTORY_APP_DATABASE_URL="+testenv.RoleURL(t, dbURL, testenv.ServiceRoles["inventory"]),
		"PAYMENT_APP_DATABASE_URL="+testenv.RoleURL(t, dbURL, testenv.ServiceRoles["payment"]),
		"METRICS_ADDR="+testenv.FreeAddr(t), // :9090 is not the README's
	)
}

func describe(s step, out string) string {
	want := "(nothing; it must only succeed)"
	if len(s.expect) > 0 {
		want = "# " + strings.Join(s.expect, "\n# ")
	}
	return fmt.Sprintf("command:\n%s\noutput:\n%s\nwant (the comments under it, … for anything):\n%s", s.command, out, want)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}
