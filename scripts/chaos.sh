#!/usr/bin/env bash
# Runs the whole-system chaos tests (TestChaos in internal/systemtest) on a PostgreSQL
# server and a three-broker Kafka cluster of their own, which it starts
# with scripts/services.sh and stops when it ends, whatever happens: the
# tests kill brokers and restart PostgreSQL, so they never touch the
# services `make services` runs.
#
# Usage: scripts/chaos.sh [go test flags...], e.g.
#   scripts/chaos.sh -timeout 90m -v                               # every scenario (make chaos)
#   scripts/chaos.sh -short -run 'TestChaos/(kill|leader|network-cut)$'   # the short version
#
# Environment: CHAOS_PGPORT (5462), CHAOS_KAFKA_PORT (9302: brokers on 9302,
# 9304, 9306, controllers one above each, proxied listeners on 9312-9314
# advertised on 9322-9324), CHAOS_SERVICES_DIR (under the system's temp dir),
# CHAOS_REPORT (a Markdown file to write the table into, between its markers).
set -euo pipefail
# shellcheck source=lib/on-error.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib/on-error.sh"

cd "$(dirname -- "${BASH_SOURCE[0]}")/.."

export PGPORT=${CHAOS_PGPORT:-5462}
export KAFKA_PORT=${CHAOS_KAFKA_PORT:-9302}
export KAFKA_CLUSTER=3
export ORDERS_SERVICES_DIR=${CHAOS_SERVICES_DIR:-${TMPDIR:-/tmp}/orders-chaos-services}
# The Kafka jars of the default state dir, fetched once for both.
export KAFKA_LIBS_DIR=${KAFKA_LIBS_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/orders-services/kafka/libs}
export KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT,127.0.0.1:$((KAFKA_PORT + 2)),127.0.0.1:$((KAFKA_PORT + 4))"
export TEST_DATABASE_URL="postgres://orders:orders@127.0.0.1:$PGPORT/orders_test?sslmode=disable"
export DATABASE_URL="postgres://orders:orders@127.0.0.1:$PGPORT/orders?sslmode=disable"
# A broker restarted after a SIGKILL recovers its logs first: slow on a busy machine.
export KAFKA_WAIT_SECONDS=${KAFKA_WAIT_SECONDS:-300}

stop_services() {
	local rc=$?
	echo "--- chaos: stopping the chaos services"
	bash scripts/services.sh down </dev/null || true
	exit "$rc"
}
trap stop_services EXIT

echo "--- chaos: starting PostgreSQL on $PGPORT and a Kafka cluster at $KAFKA_BROKERS (state: $ORDERS_SERVICES_DIR)"
bash scripts/services.sh up </dev/null
# TestChaos only: the package's other chaos-tagged tests stop the shared
# services. A -run among the arguments comes later and wins.
go test -tags chaos -count=1 -p 1 -run '^TestChaos$' "$@" ./internal/systemtest/
