package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/IBM/sarama"
)

// machine is what the figures depend on.
type machine struct {
	Cores            int
	MemoryGiB        float64
	CPUModel         string
	Kernel           string
	Go               string
	Postgres         string
	PostgresSettings []string // name = value, where not the built-in default
	Kafka            string
	KafkaJVM         []string // the broker's JVM options
	KafkaSettings    []string // the broker's static settings (server.properties)
}

func describeMachine(ctx context.Context, e *environment) machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %f kB", &kb); err == nil {
			m.MemoryGiB = kb / (1 << 20)
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if s := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindSubmatch(b); s != nil {
			m.CPUModel = string(s[1])
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	_ = e.admin.QueryRowContext(ctx, `SELECT version()`).Scan(&m.Postgres)
	m.PostgresSettings = postgresSettings(ctx, e.admin)
	m.Kafka, m.KafkaJVM = kafkaProcessFacts()
	m.KafkaSettings = kafkaSettings(e)
	return m
}

func postgresSettings(ctx context.Context, db *sql.DB) []string {
	rows, err := db.QueryContext(ctx, `
		SELECT name, setting || coalesce(' ' || unit, '')
		FROM pg_settings
		WHERE source NOT IN ('default', 'override', 'client', 'session')
		ORDER BY name`)
	if err != nil {
		return nil
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var name, value string
		if rows.Scan(&name, &value) == nil {
			out = append(out, name+" = "+value)
		}
	}
	if rows.Err() != nil {
		return nil
	}
	return out
}

// kafkaProcessFacts reads the broker's version from its jars' names and its
// JVM options from its command line.
func kafkaProcessFacts() (string, []string) {
	p, err := kafkaBroker()
	if err != nil {
		return "unknown (" + err.Error() + ")", nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.pid))
	if err != nil {
		return "unknown", nil
	}
	args := strings.Split(string(b), "\x00")
	var jvm, jars []string
	for i, arg := range args {
		switch {
		case strings.HasPrefix(arg, "-X"):
			jvm = append(jvm, arg)
		case (arg == "-cp" || arg == "-classpath") && i+1 < len(args):
			for _, entry := range strings.Split(args[i+1], ":") {
				if strings.HasSuffix(entry, "*") {
					matches, _ := filepath.Glob(entry + ".jar")
					jars = append(jars, matches...)
				} else {
					jars = append(jars, entry)
				}
			}
		}
	}
	version := "Apache Kafka (version unknown)"
	if s := kafkaJar.FindStringSubmatch(strings.Join(jars, " ")); s != nil {
		version = "Apache Kafka " + s[1] + s[2]
	}
	return version, jvm
}

// kafkaSettings are the broker's settings from its configuration file.
func kafkaSettings(e *environment) []string {
	admin, err := e.clusterAdmin()
	if err != nil {
		return nil
	}
	defer func() { _ = admin.Close() }()
	brokers, _, err := admin.DescribeCluster()
	if err != nil || len(brokers) == 0 {
		return nil
	}
	entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.BrokerResource, Name: fmt.Sprint(brokers[0].ID())})
	if err != nil {
		return nil
	}
	var out []string
	for _, c := range entries {
		if c.Source == sarama.SourceStaticBroker && !c.Sensitive {
			out = append(out, c.Name+" = "+c.Value)
		}
	}
	slices.Sort(out)
	return out
}

var kafkaJar = regexp.MustCompile(`kafka-server-(\d+\.\d+\.\d+)\.jar|kafka_[0-9.]+-(\d+\.\d+\.\d+)\.jar`)
