// Package e2e holds the end-to-end tests of the order saga: the order API,
// the outbox forwarders, and the inventory, payment and saga routers, all
// in one process on the real PostgreSQL and Kafka, on topics of their own.
package e2e
