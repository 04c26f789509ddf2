// Package testenv gives integration tests the real PostgreSQL and Kafka that
// `make services` starts. A test that needs one fails, loudly, when it is
// not reachable: it never skips.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/postgres"
)

const defaultDatabaseURL = "postgres://orders:orders@127.0.0.1:5432/orders_test?sslmode=disable"

// DatabaseURL is the server tests create their databases on.
func DatabaseURL() string {
	if v := os.Getenv("TEST_DATABASE_URL"); v != "" {
		return v
	}
	return defaultDatabaseURL
}

// KafkaBrokers are the brokers tests publish to.
func KafkaBrokers() []string {
	if v := os.Getenv("KAFKA_BROKERS"); v != "" {
		return strings.Split(v, ",")
	}
	return []string{"127.0.0.1:9092"}
}

// DB returns a fresh, migrated database of its own for the test, dropped
// when the test ends. Tests that share nothing can run in parallel.
func DB(t testing.TB) *sql.DB {
	t.Helper()
	db, _ := DBWithURL(t)
	return db
}

// DBWithURL is DB that also returns the database's URL, for what needs a
// connection of its own (LISTEN, a subprocess).
func DBWithURL(t testing.TB) (*sql.DB, string) {
	t.Helper()
	db, dbURL := EmptyDBWithURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := postgres.Migrate(ctx, db); err != nil {
		t.Fatalf("migrate test database %s: %v", redact(dbURL), err)
	}
	return db, dbURL
}

// EmptyDBWithURL is DBWithURL without the migrations: a fresh, empty
// database of the test's own, dropped when the test ends.
func EmptyDBWithURL(t testing.TB) (*sql.DB, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	RequirePostgres()
	admin, err := postgres.Open(ctx, DatabaseURL())
	if err != nil {
		t.Fatalf("PostgreSQL is not reachable at %s: %v\nStart it with `make services`.", redact(DatabaseURL()), err)
	}
	defer func() { _ = admin.Close() }()

	name := "orders_t_" + RandomSuffix()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := postgres.Open(ctx, DatabaseURL())
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer func() { _ = admin.Close() }()
		forget := forgetStatements(ctx, admin, name)
		if err := dropDatabase(ctx, admin, name); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		forget()
	})

	db, err := postgres.Open(ctx, URLFor(name))
	if err != nil {
		t.Fatalf("connect to test database %s: %v", name, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, URLFor(name)
}

// URLFor returns DatabaseURL with another database name.
func URLFor(database string) string {
	u, err := url.Parse(DatabaseURL())
	if err != nil {
		panic(fmt.Sprintf("TEST_DATABASE_URL is not a URL: %v", err))
	}
	u.Path = "/" + database
	return u.String()
}

// Kafka checks that the broker answers and returns its addresses.
func Kafka(t testing.TB) []string {
	t.Helper()
	RequireKafka()
	brokers := KafkaBrokers()
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		t.Fatalf("Kafka is not reachable at %v: %v\nStart it with `make services`.", brokers, err)
	}
	_ = client.Close()
	return brokers
}

// RandomSuffix is 12 random hex digits, for names of databases and topics
// that runs make up and must not meet another run's.
func RandomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
