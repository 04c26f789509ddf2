package testenv

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"sync"
	"time"
)

// RequirePostgres and RequireKafka end the test binary at once, with one
// line that says how to start the services, when nothing answers at their
// address: without them every test would fail on its own connection error,
// after its own timeout. Each checks once per binary, at its first use, so
// a test that stops a service later does not trip it.
var (
	RequirePostgres = sync.OnceFunc(func() {
		u, err := url.Parse(DatabaseURL())
		if err != nil {
			exitNoServices(fmt.Sprintf("TEST_DATABASE_URL is not a URL: %v", err))
		}
		if !answers(u.Host) {
			exitNoServices("PostgreSQL does not answer at " + u.Host)
		}
	})
	RequireKafka = sync.OnceFunc(func() {
		for _, broker := range KafkaBrokers() {
			if answers(broker) {
				return
			}
		}
		exitNoServices(fmt.Sprintf("Kafka does not answer at %v", KafkaBrokers()))
	})
)

func answers(addr string) bool {
	dialer := net.Dialer{Timeout: 2 * time.Second}
	conn, err := dialer.DialContext(context.Background(), "tcp", addr)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

func exitNoServices(reason string) {
	fmt.Fprintf(os.Stderr, "%s: start the services with `make services` (or set TEST_DATABASE_URL and KAFKA_BROKERS)\n", reason)
	os.Exit(1)
}
