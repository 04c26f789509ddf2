// Package scaleouttest runs the real orders binary as separate processes
// on test databases and topics of its own (never the shared services'
// state): the consumers as several instances in one consumer group, one
// of each killed and one added during a burst of orders, and the
// inventory and payment services on databases of their own. The short
// tests run in `make test`; without -short the scale-out test runs longer.
package scaleouttest
