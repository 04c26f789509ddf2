// Package chaostest runs the whole system as separate OS processes (the
// API, two relays, two of each consumer) on a PostgreSQL server and a
// three-broker Kafka cluster of its own, drives orders over HTTP at a
// steady rate, injects faults (SIGKILLs, a broker killed, Kafka stopped,
// PostgreSQL restarted, a long transaction, a slowed and a frozen process,
// network cuts through TCP proxies), lets the system settle and checks
// that nothing was lost, doubled or reordered. It stops and restarts its
// services, so it runs on services of its own, behind the chaos build tag;
// `make chaos` starts them, runs every scenario and writes the table to
// docs/reliability.md, and `make chaos-short` runs a short version.
package chaostest
