#!/usr/bin/env bash
# Fuzzes the order API against its OpenAPI document with schemathesis: every
# phase (examples, coverage, fuzzing, stateful) and every check.
#
# Without FUZZ_API_URL it runs its own `orders api` on a fresh database of
# its own (created on TEST_DATABASE_URL's server, dropped afterwards), on a
# free loopback port, and stops it at the end. With FUZZ_API_URL it fuzzes
# that running service instead.
#
# Usage: scripts/fuzz-api.sh [schemathesis run options...]
#   e.g. scripts/fuzz-api.sh --max-examples 10 --max-time 60
#
# Environment:
#   SCHEMATHESIS      the st binary (the Makefile installs a pinned one)
#   FUZZ_API_URL      fuzz this service (e.g. http://localhost:8080) instead
#   FUZZ_API_AUTH     an Authorization header value sent with every request,
#                     e.g. "Bearer eyJ..." (default with its own API: a
#                     customer's token under the development key)
#   TEST_DATABASE_URL the PostgreSQL server the fuzz database is created on
set -euo pipefail
# shellcheck source=lib/on-error.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib/on-error.sh"

REPO_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_DIR"
ST=${SCHEMATHESIS:-bin/schemathesis-venv/bin/st}
TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://orders:orders@127.0.0.1:5432/orders_test?sslmode=disable}

api_pid=""
fuzz_db=""
cleanup() {
	if [[ -n $api_pid ]]; then
		kill "$api_pid" 2>/dev/null || true
		wait "$api_pid" 2>/dev/null || true
	fi
	if [[ -n $fuzz_db ]]; then
		psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $fuzz_db WITH (FORCE)" >/dev/null || true
	fi
}
trap cleanup EXIT

url=${FUZZ_API_URL:-}
if [[ -z $url ]]; then
	fuzz_db="orders_fuzz_$$_$RANDOM"
	psql -q "$TEST_DATABASE_URL" -c "CREATE DATABASE $fuzz_db" >/dev/null
	db_url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$TEST_DATABASE_URL" "$fuzz_db")
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	go build -o bin/orders ./cmd/orders
	log=$(mktemp -t orders-fuzz-api.XXXXXX.log)
	DATABASE_URL=$db_url bin/orders migrate >"$log" 2>&1
	# Order creation is rate-limited per client: the fuzzer is one client
	# that creates thousands, so its limit is raised here.
	DATABASE_URL=$db_url HTTP_ADDR=127.0.0.1:$port METRICS_ADDR=off AUTH_DEV_MODE=true \
		ORDER_CREATE_RATE=${ORDER_CREATE_RATE:-10000} ORDER_CREATE_BURST=${ORDER_CREATE_BURST:-10000} \
		bin/orders api >>"$log" 2>&1 &
	api_pid=$!
	url=http://127.0.0.1:$port
	for _ in $(seq 1 150); do
		curl -fs -o /dev/null "$url/healthz" && break
		kill -0 "$api_pid" 2>/dev/null || { cat "$log"; echo "orders api exited" >&2; exit 1; }
		sleep 0.2
	done
	echo "orders api on $url (database $fuzz_db, log $log)"
fi

# A customer's token under the development key of the API started above
# (FUZZ_API_AUTH for a service of your own): the API's main client. Its
# 403s (another customer's ID, shipping) are documented answers.
if [[ -z ${FUZZ_API_AUTH:-} && -z ${FUZZ_API_URL:-} ]]; then
	FUZZ_API_AUTH="Bearer $(bin/orders token --customer c-fuzz --ttl 2h 2>/dev/null)"
fi
auth=()
if [[ -n ${FUZZ_API_AUTH:-} ]]; then
	auth=(--header "Authorization: $FUZZ_API_AUTH")
fi

"$ST" --config-file scripts/schemathesis.toml run "$url/openapi.yaml" --url "$url" \
	--phases examples,coverage,fuzzing,stateful --checks all \
	"${auth[@]}" "$@"
