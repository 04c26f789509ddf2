//go:build chaos

package systemtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/internal/testenv"
)

// services are the PostgreSQL server and the Kafka cluster that
// scripts/services.sh started for the chaos run, on ports of their own:
// the run kills brokers and restarts PostgreSQL, which nothing else may
// be using.
type services struct {
	kafkaPort int
	brokers   []string // the brokers' own listeners
	viaProxy  []string // where the brokers' proxied listeners are advertised
}

func ownServices(t *testing.T) services {
	t.Helper()
	pg, kafkaPort := os.Getenv("PGPORT"), os.Getenv("KAFKA_PORT")
	if pg == "" || pg == "5432" || kafkaPort == "" || kafkaPort == "9092" || os.Getenv("ORDERS_SERVICES_DIR") == "" {
		t.Fatal("the chaos tests stop and restart PostgreSQL and Kafka: run them on services of their own, " +
			"PGPORT, KAFKA_PORT (not 5432, 9092), ORDERS_SERVICES_DIR and KAFKA_CLUSTER=3 set, as `make chaos` does")
	}
	port, err := strconv.Atoi(kafkaPort)
	if err != nil {
		t.Fatalf("KAFKA_PORT: %v", err)
	}
	s := services{kafkaPort: port, brokers: testenv.Kafka(t)}
	for n := range 3 {
		s.viaProxy = append(s.viaProxy, "127.0.0.1:"+strconv.Itoa(port+20+n))
	}
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	admin, err := sarama.NewClusterAdmin(s.brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = admin.Close() }()
	if live, _, err := admin.DescribeCluster(); err != nil || len(live) != 3 {
		t.Fatalf("want a cluster of 3 brokers at %v, found %d (%v): start it with KAFKA_CLUSTER=3 scripts/services.sh up", s.brokers, len(live), err)
	}
	return s
}

// script runs scripts/services.sh on the chaos services' cluster.
func (s services) script(t *testing.T, args ...string) time.Duration {
	t.Helper()
	return servicesScript(t, []string{"KAFKA_CLUSTER=3"}, args...)
}

// servicesScript runs scripts/services.sh with args, on the services the
// environment names, with env added; it returns how long that took.
func servicesScript(t *testing.T, env []string, args ...string) time.Duration {
	t.Helper()
	testenv.CloseInheritedFilesOnExec()
	start := time.Now()
	cmd := exec.Command("bash", append([]string{filepath.Join(testenv.RepoRoot(t), "scripts", "services.sh")}, args...)...) //nolint:noctx // waited for
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/services.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	took := time.Since(start)
	t.Logf("scripts/services.sh %s: %s (%s)", strings.Join(args, " "), strings.TrimSpace(string(out)), took.Round(time.Millisecond))
	return took
}

// leaderOf returns the node number of the broker leading partition 0 of topic.
func (s services) leaderOf(t *testing.T, topic string) int {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	client, err := sarama.NewClient(s.brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Close() }()
	leader, err := client.Leader(topic, 0)
	if err != nil {
		t.Fatalf("leader of %s/0: %v", topic, err)
	}
	return int(leader.ID())
}
