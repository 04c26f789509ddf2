package main

import (
	"bufio"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/orderflow/orders/internal/testenv"
)

// The bench's servers' processes: the PostgreSQL postmaster and the Kafka
// broker that listen on the ports the bench uses. Another server of
// either on the machine (a second cluster, another state dir) is not the
// bench's, and its CPU must not count. Zero: not found yet.
var benchPostmaster, benchBroker int

// findBenchServers finds the processes listening on the PostgreSQL port
// of the bench's database and on the first Kafka broker's port.
func findBenchServers() error {
	u, err := url.Parse(testenv.DatabaseURL())
	if err != nil {
		return fmt.Errorf("database URL: %w", err)
	}
	pgPort := u.Port()
	if pgPort == "" {
		pgPort = "5432"
	}
	if benchPostmaster, err = listener(pgPort); err != nil {
		return fmt.Errorf("the PostgreSQL server: %w", err)
	}
	_, kafkaPort, err := net.SplitHostPort(testenv.KafkaBrokers()[0])
	if err != nil {
		return fmt.Errorf("the Kafka broker's address: %w", err)
	}
	if benchBroker, err = listener(kafkaPort); err != nil {
		return fmt.Errorf("the Kafka broker: %w", err)
	}
	return nil
}

// listener is the PID of the process that listens on TCP port, from
// /proc/net/tcp{,6} (the socket's inode) and the processes' descriptors.
func listener(port string) (int, error) {
	n, err := strconv.Atoi(port)
	if err != nil {
		return 0, fmt.Errorf("port %q: %w", port, err)
	}
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		s := bufio.NewScanner(f)
		for s.Scan() {
			// sl local_address rem_address st ... inode
			fields := strings.Fields(s.Text())
			if len(fields) < 10 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			if i := strings.LastIndexByte(fields[1], ':'); i >= 0 {
				if p, err := strconv.ParseInt(fields[1][i+1:], 16, 32); err == nil && int(p) == n {
					inodes["socket:["+fields[9]+"]"] = true
				}
			}
		}
		_ = f.Close()
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("nothing listens on port %d", n)
	}
	for _, pid := range pids() {
		fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
		for _, fd := range fds {
			if target, err := os.Readlink(fd); err == nil && inodes[target] {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("no process found with the socket listening on port %d", n)
}
