// Package systemtest holds the system tests: whole scenarios on the real
// PostgreSQL and Kafka, on databases, topics and consumer groups of their
// own. One harness (harness_test.go) gives a scenario those and starts
// what it names: the whole saga in this process (inprocess_test.go), or
// the orders binary's commands as OS processes (built once per run), each
// connected directly or behind the fault proxies (topology_test.go). One
// invariant checker ends every scenario (invariants_test.go). One file per
// scenario; runScale sizes them, -short for `make test`. The scenarios run
// side by side, each on its own database, topics and groups.
//
// The chaos build tag gates the scenarios that stop and restart services:
// TestForwarderSurvives* and TestRepeatedFreezesLoseNothing on the shared
// ones (`make test`, `make test-chaos`), TestChaos on services of its own
// (`make chaos`, `make chaos-short`, scripts/chaos.sh).
package systemtest
