// Package systemtest holds the system tests: whole scenarios on the real
// PostgreSQL and Kafka, on databases, topics and consumer groups of their
// own. One harness starts what a scenario names: the whole saga in this
// process (inprocess_test.go), or the orders binary's commands as OS
// processes, each connected directly or behind the fault proxies
// (harness_test.go); one invariant checker ends every scenario
// (invariants_test.go). One file per scenario; runScale sizes them, -short
// for `make test`.
//
// The chaos build tag gates the scenarios that stop and restart services:
// TestForwarderSurvives* and TestRepeatedFreezesLoseNothing on the shared
// ones (`make test`, `make test-chaos`), TestChaos on services of its own
// (`make chaos`, `make chaos-short`, scripts/chaos.sh).
package systemtest
