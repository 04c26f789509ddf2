package systemtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// readyz returns /readyz's status and problem checks.
func readyz(t *testing.T, ops string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get("http://" + ops + "/readyz") //nolint:noctx // a test's request
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	var problem struct {
		Status int               `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if resp.StatusCode != http.StatusOK {
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("/readyz %d with Content-Type %q, want application/problem+json", resp.StatusCode, ct)
		}
		if err := json.Unmarshal(body, &problem); err != nil || problem.Status != resp.StatusCode {
			t.Errorf("/readyz %d: body %s is not a problem (%v)", resp.StatusCode, body, err)
		}
	}
	return resp.StatusCode, problem.Checks
}

// TestReadinessTurnsFalseOnSIGTERMBeforeTheAPIStopsAccepting: during
// SHUTDOWN_READY_DELAY /readyz says 503 (shutdown) while the API still
// answers; then the process ends with status 0.
func TestReadinessTurnsFalseOnSIGTERMBeforeTheAPIStopsAccepting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{partitions: 2, env: []string{"LOG_LEVEL=warn"}})
	api := h.startService("api", "api", "SHUTDOWN_READY_DELAY=3s")
	if code, _ := readyz(t, api.ops); code != http.StatusOK {
		t.Fatalf("/readyz before SIGTERM: %d", code)
	}
	if err := api.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, checks := readyz(t, api.ops)
	for deadline := time.Now().Add(2 * time.Second); code == http.StatusOK && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		code, checks = readyz(t, api.ops)
	}
	if code != http.StatusServiceUnavailable || checks["shutdown"] == "" {
		t.Fatalf("/readyz after SIGTERM: %d %v, want 503 naming shutdown", code, checks)
	}
	if code, body := h.do(http.MethodGet, "http://"+api.api+"/healthz", nil); code != http.StatusNoContent {
		t.Fatalf("the API during the ready delay: %d %s, want it still answering", code, body)
	}
	select {
	case <-api.Exited:
	case <-time.After(30 * time.Second):
		t.Fatal("orders api did not end within 30s of SIGTERM")
	}
	if exit := api.Cmd.ProcessState.ExitCode(); exit != 0 {
		t.Fatalf("orders api exited %d after SIGTERM, want 0", exit)
	}
}

// TestReadinessNamesWhatFailed: a process whose Kafka does not answer is
// alive but not ready, and /readyz says it is Kafka.
func TestReadinessNamesWhatFailed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{partitions: 2, env: []string{"LOG_LEVEL=warn"}})
	ops := testenv.FreeAddr(t)
	p := h.start("orders forwarder", []string{"forwarder"}, "METRICS_ADDR="+ops, "KAFKA_BROKERS="+testenv.FreeAddr(t))
	testenv.WaitHTTP(t, p, ops, "/healthz", http.StatusNoContent)
	code, checks := readyz(t, ops)
	if code != http.StatusServiceUnavailable || !strings.Contains(checks["kafka"], "kafka") || len(checks) != 1 {
		t.Fatalf("/readyz with Kafka away: %d %v, want 503 naming kafka only", code, checks)
	}
}
