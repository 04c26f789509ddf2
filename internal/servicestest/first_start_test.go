// Package servicestest checks scripts/services.sh as a new user meets it:
// the first start of PostgreSQL and Kafka on a machine with no state.
package servicestest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/internal/testenv"
)

// TestServicesStartFromAnEmptyStateDir runs `scripts/services.sh up` on an
// empty state dir and ports nothing listens on, as on a fresh machine, then
// `destroy`, which must leave nothing behind. The Kafka jars are fetched
// into the empty dir too (from the local Maven repository when it has them).
func TestServicesStartFromAnEmptyStateDir(t *testing.T) {
	testenv.CloseInheritedFilesOnExec()
	root := testenv.RepoRoot(t)
	stateDir := filepath.Join(t.TempDir(), "services")
	pgPort := freePorts(t, 1)
	kafkaPort := freePorts(t, 2) // the broker and, one above, its controller
	env := servicesEnv(stateDir, pgPort, kafkaPort)

	t.Cleanup(func() {
		if out, err := services(root, env, "destroy"); err != nil {
			t.Errorf("services.sh destroy: %v\n%s", err, out)
		}
		if _, err := os.Stat(stateDir); !os.IsNotExist(err) {
			t.Errorf("services.sh destroy left %s behind (stat: %v)", stateDir, err)
		}
	})
	if out, err := services(root, env, "up"); err != nil {
		t.Fatalf("services.sh up on an empty state dir: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for _, database := range []string{"orders", "orders_test"} {
		url := fmt.Sprintf("postgres://orders:orders@127.0.0.1:%d/%s?sslmode=disable", pgPort, database)
		db, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatalf("PostgreSQL started by services.sh: %v", err)
		}
		var one int
		err = db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
		_ = db.Close()
		if err != nil {
			t.Fatalf("PostgreSQL started by services.sh, database %s: %v", database, err)
		}
	}

	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	client, err := sarama.NewClient([]string{"127.0.0.1:" + strconv.Itoa(kafkaPort)}, cfg)
	if err != nil {
		t.Fatalf("Kafka started by services.sh: %v", err)
	}
	brokers := client.Brokers()
	_ = client.Close()
	if len(brokers) != 1 {
		t.Fatalf("Kafka started by services.sh: want 1 broker in the metadata, got %d", len(brokers))
	}

	if out, err := services(root, env, "destroy"); err != nil {
		t.Fatalf("services.sh destroy: %v\n%s", err, out)
	}
	for _, port := range []int{pgPort, kafkaPort} {
		if listening(port) {
			t.Errorf("port %d still answers after services.sh destroy", port)
		}
	}
}

// servicesEnv is the test's environment with the services' settings
// pointed at stateDir and the ports; nothing of the caller's services.
func servicesEnv(stateDir string, pgPort, kafkaPort int) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "ORDERS_SERVICES_DIR", "KAFKA_LIBS_DIR", "PGPORT", "KAFKA_PORT", "KAFKA_CONTROLLER_PORT", "KAFKA_CLUSTER":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"ORDERS_SERVICES_DIR="+stateDir,
		"PGPORT="+strconv.Itoa(pgPort),
		"KAFKA_PORT="+strconv.Itoa(kafkaPort),
		"KAFKA_CLUSTER=1",
	)
}

func services(root string, env []string, command string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", "services.sh"), command)
	cmd.Dir = root
	cmd.Env = env
	cmd.Stdin = nil
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// freePorts returns the first of n consecutive loopback ports that nothing
// listens on, from a range the project's other services do not use.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for base := 20000 + int(time.Now().UnixNano()%4000)*2; base < 65000; base += 7 {
		free := true
		for p := base; p < base+n; p++ {
			if listening(p) || !bindable(p) {
				free = false
				break
			}
		}
		if free {
			return base
		}
	}
	t.Fatal("no free loopback ports")
	return 0
}

func listening(port int) bool {
	dialer := net.Dialer{Timeout: time.Second}
	conn, err := dialer.DialContext(context.Background(), "tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

func bindable(port int) bool {
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	_ = ln.Close()
	return true
}
