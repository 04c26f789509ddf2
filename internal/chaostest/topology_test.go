//go:build chaos

package chaostest

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/internal/testenv"
)

// declineAbove is the simulated gateway's limit: an order of a larger
// total is declined, its stock released, and it ends cancelled.
const declineAbove = 100_000

// kinds are the processes of the topology, two of each but the API.
var kinds = []string{"api", "relay", "inventory", "payment", "saga"}

// roleOf is the orders subcommand of a kind.
var roleOf = map[string]string{"api": "api", "relay": "forward", "inventory": "inventory", "payment": "payment", "saga": "saga"}

// member is one process of the topology. Instance 1 of the relay and of
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

// topology runs the system as separate OS processes.
type topology struct {
	t       *testing.T
	binary  string
	env     []string // the same for every process
	direct  []string // DATABASE_URL and KAFKA_BROKERS of a direct process
	proxied []string // those of a proxied one
	apiAddr string
	members []*member

	pgProxy    *proxy
	kafkaProxy []*proxy

	mu     sync.Mutex
	exits  []string // processes that ended on their own, restarted by the supervisor
	groups map[string]string
}

func newTopology(t *testing.T, svc services, dbURL string) *topology {
	t.Helper()
	tp := &topology{t: t, binary: testenv.BuildOrders(t), apiAddr: testenv.FreeAddr(t)}
	orders := testenv.Topic(t, svc.brokers, 6)
	suffix := strings.TrimPrefix(orders, "test.")
	tp.groups = map[string]string{
		"inventory": "inventory." + suffix, "payment": "payment." + suffix, "saga": "order-saga." + suffix,
	}
	tp.env = []string{
		"ORDERS_TOPIC=" + orders,
		"INVENTORY_TOPIC=" + testenv.Topic(t, svc.brokers, 6),
		"PAYMENTS_TOPIC=" + testenv.Topic(t, svc.brokers, 6),
		"INVENTORY_DLQ_TOPIC=" + testenv.Topic(t, svc.brokers, 1),
		"PAYMENT_DLQ_TOPIC=" + testenv.Topic(t, svc.brokers, 1),
		"SAGA_DLQ_TOPIC=" + testenv.Topic(t, svc.brokers, 1),
		"ORDERS_TOPIC_PARTITIONS=6", "INVENTORY_TOPIC_PARTITIONS=6", "PAYMENTS_TOPIC_PARTITIONS=6", "DLQ_TOPIC_PARTITIONS=1",
		"INVENTORY_CONSUMER_GROUP=" + tp.groups["inventory"],
		"PAYMENT_CONSUMER_GROUP=" + tp.groups["payment"],
		"SAGA_CONSUMER_GROUP=" + tp.groups["saga"],
		fmt.Sprintf("PAYMENT_DECLINE_ABOVE=%d", declineAbove),
		"DATABASE_MAX_CONNS=12",
		"METRICS_ADDR=off",
		"FORWARDER_IDLE_POLL_INTERVAL=200ms",
		"LOG_LEVEL=warn",
		testenv.AuthEnv,
	}

	pg, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	// Deleted after the scenario: every broker restart recovers the logs it holds.
	t.Cleanup(func() { deleteTopics(t, svc.brokers, tp.env) })
	tp.pgProxy = newProxy(t, "127.0.0.1:0", pg.Host)
	viaPG := *pg
	viaPG.Host = tp.pgProxy.Addr()
	for n, advertised := range svc.viaProxy {
		tp.kafkaProxy = append(tp.kafkaProxy, newProxy(t, advertised, fmt.Sprintf("127.0.0.1:%d", svc.kafkaPort+10+n)))
	}
	tp.direct = []string{"DATABASE_URL=" + dbURL, "KAFKA_BROKERS=" + strings.Join(svc.brokers, ",")}
	tp.proxied = []string{"DATABASE_URL=" + viaPG.String(), "KAFKA_BROKERS=" + strings.Join(svc.viaProxy, ",")}

	for _, kind := range kinds {
		for i := 1; i <= 2; i++ {
			if kind == "api" && i == 2 {
				break
			}
			m := &member{name: fmt.Sprintf("%s-%d", kind, i), kind: kind, proxied: i == 1 && kind != "api"}
			tp.members = append(tp.members, m)
			tp.start(m)
		}
	}
	return tp
}

// start runs m's process (again).
func (tp *topology) start(m *member) {
	env := append(append([]string{}, tp.env...), tp.direct...)
	if m.proxied {
		env = append(env, tp.proxied...)
	}
	env = append(env, "HTTP_ADDR="+tp.apiAddr,
		"INVENTORY_HTTP_ADDR="+testenv.FreeAddr(tp.t), "PAYMENT_HTTP_ADDR="+testenv.FreeAddr(tp.t))
	p := testenv.StartProcess(tp.t, m.name, tp.binary, []string{roleOf[m.kind]}, env...)
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

// waitForMembers waits until each consumer group has two members on
// each topic it reads, so that the load meets every instance at work.
func (tp *topology) waitForMembers(brokers []string) {
	tp.t.Helper()
	topics := map[string][]string{
		"inventory": {tp.value("ORDERS_TOPIC")}, "payment": {tp.value("ORDERS_TOPIC")},
		"saga": {tp.value("INVENTORY_TOPIC"), tp.value("PAYMENTS_TOPIC")},
	}
	deadline := time.Now().Add(3 * time.Minute)
	for kind, group := range tp.groups {
		for _, topic := range topics[kind] {
			for {
				n, err := kafka.GroupMembers(brokers, group, topic)
				if err == nil && n >= 2 {
					break
				}
				if time.Now().After(deadline) {
					tp.t.Fatalf("consumer group %s has %d members on %s after 3 minutes, want 2 (%v)", group, n, topic, err)
				}
				time.Sleep(500 * time.Millisecond)
			}
		}
	}
}

// value returns the value of a variable of tp.env.
func (tp *topology) value(variable string) string {
	for _, kv := range tp.env {
		if v, ok := strings.CutPrefix(kv, variable+"="); ok {
			return v
		}
	}
	tp.t.Fatalf("%s is not set", variable)
	return ""
}

// deleteTopics deletes the topics named in env.
func deleteTopics(t *testing.T, brokers, env []string) {
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		t.Logf("topics not deleted: %v", err)
		return
	}
	defer func() { _ = admin.Close() }()
	for _, kv := range env {
		if name, topic, _ := strings.Cut(kv, "="); strings.HasSuffix(name, "_TOPIC") {
			if err := admin.DeleteTopic(topic); err != nil {
				t.Logf("topic %s not deleted: %v", topic, err)
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
