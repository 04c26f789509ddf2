// Command kafkaping checks that a Kafka broker answers a metadata request.
//
// It is used by scripts/services.sh to wait for the local broker:
//
//	kafkaping [-brokers 127.0.0.1:9092] [-timeout 5s]
//
// It exits 0 when the cluster metadata could be fetched and 1 otherwise.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

func main() {
	brokers := flag.String("brokers", envOr("KAFKA_BROKERS", "127.0.0.1:9092"), "comma-separated broker addresses")
	timeout := flag.Duration("timeout", 5*time.Second, "network timeout")
	quiet := flag.Bool("q", false, "print nothing on success")
	flag.Parse()

	if err := ping(strings.Split(*brokers, ","), *timeout); err != nil {
		fmt.Fprintf(os.Stderr, "kafkaping: %v\n", err)
		os.Exit(1)
	}
	if !*quiet {
		fmt.Printf("kafka ok: %s\n", *brokers)
	}
}

func ping(addrs []string, timeout time.Duration) error {
	cfg := sarama.NewConfig()
	cfg.ClientID = "orders-kafkaping"
	cfg.Version = sarama.V4_1_0_0
	cfg.Net.DialTimeout = timeout
	cfg.Net.ReadTimeout = timeout
	cfg.Net.WriteTimeout = timeout
	cfg.Metadata.Retry.Max = 0
	cfg.Metadata.Full = false

	client, err := sarama.NewClient(addrs, cfg)
	if err != nil {
		return fmt.Errorf("connect %v: %w", addrs, err)
	}
	defer func() { _ = client.Close() }()

	if err := client.RefreshMetadata(); err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	if len(client.Brokers()) == 0 {
		return fmt.Errorf("metadata from %v lists no brokers", addrs)
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
