// Package opstest runs the orders binary's service commands as processes
// and checks what operators see of them: the metrics on each process's
// METRICS_ADDR (parsed with Prometheus's text parser, linted with
// promlint, the families each process kind must have), /healthz and
// /readyz, and readiness turning false on SIGTERM before the process
// stops accepting.
package opstest
