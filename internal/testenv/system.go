package testenv

import (
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SystemEnv is the environment that `orders` processes of one test share:
// topics and consumer groups of the test's own on the test brokers, the
// development key, small pools. Each process adds its database URLs and
// addresses.
func SystemEnv(t testing.TB, brokers []string, partitions int32) []string {
	t.Helper()
	orders := Topic(t, brokers, partitions)
	suffix := strings.TrimPrefix(orders, "test.")
	return []string{
		"KAFKA_BROKERS=" + strings.Join(brokers, ","),
		"ORDERS_TOPIC=" + orders,
		"INVENTORY_TOPIC=" + Topic(t, brokers, partitions),
		"PAYMENTS_TOPIC=" + Topic(t, brokers, partitions),
		"INVENTORY_DEAD_LETTER_TOPIC=" + Topic(t, brokers, 1),
		"PAYMENT_DEAD_LETTER_TOPIC=" + Topic(t, brokers, 1),
		"SAGA_DEAD_LETTER_TOPIC=" + Topic(t, brokers, 1),
		fmt.Sprintf("ORDERS_TOPIC_PARTITIONS=%d", partitions),
		"DEAD_LETTER_TOPIC_PARTITIONS=1",
		"INVENTORY_CONSUMER_GROUP=inventory." + suffix,
		"PAYMENT_CONSUMER_GROUP=payment." + suffix,
		"SAGA_CONSUMER_GROUP=order-saga." + suffix,
		"DATABASE_MAX_CONNS=12",
		"FORWARDER_IDLE_POLL_INTERVAL=200ms",
		"SHUTDOWN_READY_DELAY=0s",
		AuthEnv,
	}
}

// Terminate SIGTERMs the process and waits up to within for it to end; it
// returns how long that took and the exit code, or fails the test.
func (p *Process) Terminate(t testing.TB, within time.Duration) (took time.Duration, exitCode int) {
	t.Helper()
	start := time.Now()
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", p.Name, err)
	}
	select {
	case <-p.Exited:
	case <-time.After(within):
		t.Fatalf("%s did not end within %v of SIGTERM", p.Name, within)
	}
	return time.Since(start), p.Cmd.ProcessState.ExitCode()
}

// WaitHTTP waits until http://addr+path answers with status want, failing
// the test when p ends first or after a while.
func WaitHTTP(t testing.TB, p *Process, addr, path string, want int) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	last := "no answer"
	WaitFor(t, 90*time.Second, p.Name+" answering "+path+" on "+addr, func() (bool, string) {
		if !p.Running() {
			t.Fatalf("%s ended while waiting for %s on %s", p.Name, path, addr)
		}
		resp, err := client.Get("http://" + addr + path) //nolint:noctx // bounded by the client's timeout
		if err != nil {
			return false, err.Error()
		}
		_ = resp.Body.Close()
		last = resp.Status
		return resp.StatusCode == want, last
	})
}
