package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/IBM/sarama"

	"github.com/orderflow/orders/adapters/kafka"
	"github.com/orderflow/orders/adapters/postgres"
	"github.com/orderflow/orders/internal/testenv"
)

// environment holds what the benchmark creates on the shared PostgreSQL
// server and Kafka broker (databases ordersbench_*, topics ordersbench.*),
// and removes it, last created first, before the downstream phases
// (release) and at the end.
type environment struct {
	admin                   *sql.DB
	brokers                 []string
	dir                     string // binaries, scripts and logs of this run
	ordersBin, forwarderBin string
	cleanups                []func()
	// partitions of each topic of the pipeline runs: they bound the
	// consumers' batches (docs/saga.md, "Batches").
	partitions int32
}

func newEnvironment(ctx context.Context, dir string) (*environment, error) {
	admin, err := postgres.Open(ctx, testenv.DatabaseURL())
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL at TEST_DATABASE_URL (start it with `make services`): %w", err)
	}
	return &environment{admin: admin, brokers: testenv.KafkaBrokers(), dir: dir, partitions: 6}, nil
}

// release drops what the run has created so far. The databases of ended
// phases would otherwise be autovacuumed, and their topics kept, while a
// later phase measures the machine.
func (e *environment) release() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
	e.cleanups = nil
}

// close drops what the run created.
func (e *environment) close() {
	e.release()
	_ = e.admin.Close()
}

// database is a fresh database of the run.
type database struct {
	name, url string
}

// newDatabase creates an empty database ordersbench_<kind>_<random>.
func (e *environment) newDatabase(ctx context.Context, kind string) (database, error) {
	name := "ordersbench_" + kind + "_" + testenv.RandomSuffix()
	if _, err := e.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return database{}, fmt.Errorf("create database %s: %w", name, err)
	}
	cleanupCtx := context.WithoutCancel(ctx) // drop it even after an interrupt
	e.cleanups = append(e.cleanups, func() {
		_, _ = e.admin.ExecContext(cleanupCtx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return database{name: name, url: testenv.URLFor(name)}, nil
}

// newTopic names a topic of the run, to be deleted at the end. With
// logAppendTime it is created now, with the broker's append time as record
// timestamps (what the latency is measured against); otherwise whoever uses
// it first creates it.
func (e *environment) newTopic(kind string, partitions int32, logAppendTime bool) (string, error) {
	topic := "ordersbench." + kind + "." + testenv.RandomSuffix()
	e.cleanups = append(e.cleanups, func() { _ = e.deleteTopic(topic) })
	if !logAppendTime {
		return topic, nil
	}
	admin, err := e.clusterAdmin()
	if err != nil {
		return "", err
	}
	defer func() { _ = admin.Close() }()
	appendTime := "LogAppendTime"
	err = admin.CreateTopic(topic, &sarama.TopicDetail{
		NumPartitions: partitions, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"message.timestamp.type": &appendTime},
	}, false)
	if err != nil {
		return "", fmt.Errorf("create topic %s: %w", topic, err)
	}
	return topic, nil
}

func (e *environment) clusterAdmin() (sarama.ClusterAdmin, error) {
	cfg := sarama.NewConfig()
	cfg.Version = kafka.ProtocolVersion
	admin, err := sarama.NewClusterAdmin(e.brokers, cfg)
	if err != nil {
		return nil, fmt.Errorf("no Kafka at %v (start it with `make services`): %w", e.brokers, err)
	}
	return admin, nil
}

func (e *environment) deleteTopic(topic string) error {
	admin, err := e.clusterAdmin()
	if err != nil {
		return err
	}
	defer func() { _ = admin.Close() }()
	err = admin.DeleteTopic(topic)
	if errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		return nil
	}
	return err
}

// benchBuildTags are the build tags of the binaries the benchmark runs.
const benchBuildTags = "benchnooutbox"

// build compiles the orders binary and, when needed, the forwarder benchmark,
// before anything is measured.
func (e *environment) build(ctx context.Context, forwarder bool) error {
	targets := map[string]*string{"./cmd/orders": &e.ordersBin}
	if forwarder {
		targets["./cmd/outbox-bench"] = &e.forwarderBin
	}
	for pkg, dst := range targets {
		out := filepath.Join(e.dir, strings.ReplaceAll(strings.TrimPrefix(pkg, "./"), "/", "-"))
		// The benchmark's orders binary has OUTBOX_DISABLED, which the
		// production build leaves out (cmd/orders/bench_nooutbox.go); it
		// is set only for the write path's measurement without the outbox.
		cmd := exec.CommandContext(ctx, "go", "build", "-tags", benchBuildTags, "-o", out, pkg)
		cmd.Dir = moduleRoot()
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
		}
		*dst = out
	}
	return nil
}

// moduleRoot is the directory of go.mod, found from the working directory
// up (go test runs in the package's directory, make in the root).
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// serviceEnv is the environment of an orders process on db, publishing to
// the run's topics.
func (e *environment) serviceEnv(db database, topics map[string]string) map[string]string {
	env := map[string]string{
		"DATABASE_URL":  db.url,
		"KAFKA_BROKERS": strings.Join(e.brokers, ","),
		"LOG_LEVEL":     "warn",
		"METRICS_ADDR":  "off",
		"AUTH_DEV_MODE": "true", // the requests carry development-key tokens (loadgen.go)
	}
	for k, v := range topics {
		env[k] = v
	}
	return env
}
