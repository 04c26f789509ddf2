// Package chaostest breaks the forwarder's world while orders are written:
// it SIGKILLs the forwarder process, stops the Kafka broker and restarts
// PostgreSQL, then checks that every event reached Kafka, in order per
// order, and reports the duplicates. It stops shared services, so it runs
// alone, behind the chaos build tag:
//
//	go test -tags chaos -count=1 -p 1 -timeout 30m -v ./adapters/outbox/chaostest/        # full
//	go test -tags chaos -count=1 -p 1 -timeout 10m -short ./adapters/outbox/chaostest/    # short
package chaostest
