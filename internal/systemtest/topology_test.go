//go:build chaos

package systemtest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/orderflow/orders/internal/testenv"
)

// kinds are the processes of the topology, two of each but the API.
var kinds = []string{"api", "forwarder", "inventory", "payment", "saga"}

// roleOf is the orders subcommand of a kind.
var roleOf = map[string]string{"api": "api", "forwarder": "forwarder", "inventory": "inventory", "payment": "payment", "saga": "saga"}

// member is one process of the topology. Instance 1 of the forwarder and of
// each consumer reaches PostgreSQL and Kafka through the harness's
// proxies, which can cut it off; the others connect directly.
type member struct {
	name, kind string
	proxied    bool

	mu      sync.Mutex
	proc    *testenv.Process
	planned bool // down on purpose: the supervisor leaves it alone
}

func (m *member) process() *testenv.Process {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.proc
}

// topology runs the system as separate OS processes on the harness.
type topology struct {
	*harness
	apiAddr string
	members []*member

	// The fault proxies: what a proxied member is given instead of the
	// harness's DATABASE_URL and KAFKA_BROKERS.
	pgProxy    *proxy
	kafkaProxy []*proxy
	proxied    []string

	mu    sync.Mutex
	exits []string // processes that ended on their own, restarted by the supervisor
}

// newTopology makes the harness on the chaos services, its proxies in
// front of the database and the brokers' proxied listeners, and the
// members, started by startMembers.
func newTopology(t *testing.T, svc services) *topology {
	t.Helper()
	h := newHarness(t, setup{brokers: svc.brokers, env: []string{
		"INVENTORY_TOPIC_PARTITIONS=6", "PAYMENTS_TOPIC_PARTITIONS=6",
		fmt.Sprintf("PAYMENT_DECLINE_ABOVE=%d", declineAbove),
		"METRICS_ADDR=off", "LOG_LEVEL=warn",
	}})
	var targets []string
	for n := range svc.viaProxy {
		targets = append(targets, fmt.Sprintf("127.0.0.1:%d", svc.kafkaPort+10+n))
	}
	tp := &topology{harness: h, apiAddr: testenv.FreeAddr(t)}
	tp.withProxies(svc.viaProxy, targets)
	for _, kind := range kinds {
		for i := 1; i <= 2; i++ {
			if kind == "api" && i == 2 {
				break
			}
			tp.members = append(tp.members, &member{name: fmt.Sprintf("%s-%d", kind, i), kind: kind, proxied: i == 1 && kind != "api"})
		}
	}
	return tp
}

// withProxies puts a TCP proxy in front of the database and one in front
// of each broker's proxied listener (listen: where the brokers advertise
// it; target: where it is): a process started proxied reaches them
// through these, which a fault can cut.
func (tp *topology) withProxies(kafkaListen, kafkaTarget []string) {
	tp.t.Helper()
	pg, err := url.Parse(tp.dbURL)
	if err != nil {
		tp.t.Fatal(err)
	}
	tp.pgProxy = newProxy(tp.t, "127.0.0.1:0", pg.Host)
	viaPG := *pg
	viaPG.Host = tp.pgProxy.Addr()
	for n, listen := range kafkaListen {
		tp.kafkaProxy = append(tp.kafkaProxy, newProxy(tp.t, listen, kafkaTarget[n]))
	}
	tp.proxied = []string{"DATABASE_URL=" + viaPG.String(), "KAFKA_BROKERS=" + strings.Join(kafkaListen, ",")}
}

// startMembers starts every member and waits until the API answers.
func (tp *topology) startMembers() {
	tp.t.Helper()
	for _, m := range tp.members {
		tp.start(m)
	}
	testenv.WaitHTTP(tp.t, tp.named("api-1").process(), tp.apiAddr, "/healthz", http.StatusNoContent)
}

// start runs m's process (again).
func (tp *topology) start(m *member) {
	var env []string
	if m.proxied {
		env = append(env, tp.proxied...)
	}
	env = append(env, "HTTP_ADDR="+tp.apiAddr,
		"INVENTORY_HTTP_ADDR="+testenv.FreeAddr(tp.t), "PAYMENT_HTTP_ADDR="+testenv.FreeAddr(tp.t))
	p := tp.harness.start(m.name, []string{roleOf[m.kind]}, env...)
	m.mu.Lock()
	m.proc, m.planned = p, false
	m.mu.Unlock()
}

// kill SIGKILLs m and starts it again after down.
func (tp *topology) kill(m *member, down time.Duration) {
	m.mu.Lock()
	m.planned = true
	p := m.proc
	m.mu.Unlock()
	p.Kill()
	time.Sleep(down)
	tp.start(m)
}

// signal sends sig to m's process.
func (tp *topology) signal(m *member, sig syscall.Signal) {
	_ = m.process().Cmd.Process.Signal(sig)
}

// of returns the members of a kind.
func (tp *topology) of(kind string) []*member {
	var ms []*member
	for _, m := range tp.members {
		if m.kind == kind {
			ms = append(ms, m)
		}
	}
	return ms
}

// named returns the member called name.
func (tp *topology) named(name string) *member {
	for _, m := range tp.members {
		if m.name == name {
			return m
		}
	}
	tp.t.Fatalf("no process %s", name)
	return nil
}

// supervise restarts, as a service manager would, a process that ended
// on its own, and records it: the table reports those exits.
func (tp *topology) supervise(stop <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		for _, m := range tp.members {
			m.mu.Lock()
			ended := !m.planned && !m.proc.Running()
			m.mu.Unlock()
			if ended {
				tp.mu.Lock()
				tp.exits = append(tp.exits, m.name)
				tp.mu.Unlock()
				tp.t.Logf("%s ended on its own (exit %d); restarting it. Its log:\n%s", m.name,
					m.process().Cmd.ProcessState.ExitCode(), lastLines(m.process().Log.String(), 30))
				tp.start(m)
			}
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
