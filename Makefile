# Order service: everyday tasks. Run `make` to list them.
#
# Local services (PostgreSQL and Kafka) are managed by scripts/services.sh;
# targets that need them start them first. Override the connection settings
# from the environment, e.g. `KAFKA_BROKERS=host:9092 make test`.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO ?= go
SERVICES := bash scripts/services.sh

PGPORT ?= 5432
KAFKA_PORT ?= 9092
DATABASE_URL ?= postgres://orders:orders@127.0.0.1:$(PGPORT)/orders?sslmode=disable
TEST_DATABASE_URL ?= postgres://orders:orders@127.0.0.1:$(PGPORT)/orders_test?sslmode=disable
# CLUSTER=3: `make services` starts three KRaft brokers (KAFKA_PORT, +2, +4)
# instead of one; the other targets then reach all three.
ifneq ($(filter-out 1,$(CLUSTER)),)
KAFKA_BROKERS ?= $(shell for ((n = 0; n < $(CLUSTER); n++)); do printf '%s127.0.0.1:%d' "$${sep:-}" $$(($(KAFKA_PORT) + 2 * n)); sep=,; done)
export KAFKA_CLUSTER := $(CLUSTER)
endif
KAFKA_BROKERS ?= 127.0.0.1:$(KAFKA_PORT)
HTTP_ADDR ?= :8080
export PGPORT KAFKA_PORT DATABASE_URL TEST_DATABASE_URL KAFKA_BROKERS HTTP_ADDR

# `make run` connects each service as its own role (least privilege; the
# migrations run as the owner, orders, with DATABASE_URL above) and
# accepts tokens of the public development key (README, "Security").
ORDERS_APP_DATABASE_URL ?= postgres://orders_app:orders_app@127.0.0.1:$(PGPORT)/orders?sslmode=disable
INVENTORY_APP_DATABASE_URL ?= postgres://inventory_app:inventory_app@127.0.0.1:$(PGPORT)/orders?sslmode=disable
PAYMENT_APP_DATABASE_URL ?= postgres://payment_app:payment_app@127.0.0.1:$(PGPORT)/orders?sslmode=disable

GOLANGCI_LINT_VERSION := 2.15.0
GOLANGCI_LINT := bin/golangci-lint

# The API fuzzer, from PyPI, in a virtualenv of its own under bin/.
SCHEMATHESIS_VERSION := 4.32.5
SCHEMATHESIS_VENV := bin/schemathesis-venv
SCHEMATHESIS := $(SCHEMATHESIS_VENV)/bin/st
FUZZ_API := SCHEMATHESIS=$(SCHEMATHESIS) bash scripts/fuzz-api.sh

.PHONY: help services services-down services-destroy services-status build migrate run test test-unit \
	lint lint-tools walkthrough-tools tail parked token bench bench-short bench-forwarder test-chaos test-rolling-restart clean \
	fuzz-api fuzz-tools chaos chaos-short

help: ## List the targets
	@echo "Usage: make TARGET"
	@echo
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z0-9_-]+:.*## / { printf "  %-16s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

services: ## Start PostgreSQL and Kafka (reuses whatever already runs); CLUSTER=3: three Kafka brokers
	@$(SERVICES) up

services-down: ## Stop the services that `make services` started
	@$(SERVICES) down

services-destroy: ## Stop the services, drop the PostgreSQL cluster `make services` created, remove their state dir
	@$(SERVICES) destroy

services-status: ## Say whether PostgreSQL and Kafka answer
	@$(SERVICES) status

build: ## Build bin/orders
	$(GO) build -o bin/orders ./cmd/orders

migrate: services ## Apply the database migrations
	$(GO) run ./cmd/orders migrate

run: services migrate ## Run every process in one: order API, forwarder, saga, inventory, payment
	@addr='$(HTTP_ADDR)'; host=$${addr%:*}; port=$${addr##*:}; \
		if [[ -z $$host || $$host == 0.0.0.0 || $$host == '[::]' ]]; then host=localhost; fi; \
		echo "Order service on http://$$host:$$port (inventory API on :8081, payment API on :8082)"
	DATABASE_URL='$(ORDERS_APP_DATABASE_URL)' INVENTORY_DATABASE_URL='$(INVENTORY_APP_DATABASE_URL)' \
		PAYMENT_DATABASE_URL='$(PAYMENT_APP_DATABASE_URL)' AUTH_DEV_MODE=true $(GO) run ./cmd/orders all

token: ## Print a development token: make token CUSTOMER=c-42 [ROLE=operator]
	@$(GO) run ./cmd/orders token --customer '$(or $(CUSTOMER),c-42)' --role '$(or $(ROLE),customer)'

test: services fuzz-tools walkthrough-tools ## Run all tests against the local PostgreSQL and Kafka, a short API fuzzing, then the short failure tests
	@# -short: the short versions of the long suites (the scale-out and rolling-restart tests, the
	@# benchmark's smoke run; the fuzz targets run their seed corpora); their own targets run them in full.
	$(GO) test -race -count=1 -short -timeout 20m ./...
	$(FUZZ_API) --max-examples 10 --max-time 60
	@# The forwarder's failure tests stop and restart the shared services: never beside other tests.
	$(GO) test -tags chaos -count=1 -p 1 -short -timeout 10m -run '$(FORWARDER_FAILURE_TESTS)' ./internal/systemtest/
	@# The whole system under faults, on a PostgreSQL and a three-broker cluster of its own.
	$(MAKE) --no-print-directory chaos-short

test-unit: ## Run the domain unit tests (no services needed)
	$(GO) test -race ./domain/...

walkthrough-tools: ## Install curl and jq with apt-get when missing (the README's walk-through, tested by internal/readmetest, uses them)
	@command -v curl >/dev/null && command -v jq >/dev/null || { \
		echo "installing curl and jq with apt-get"; \
		sudo=; [[ $$(id -u) -eq 0 ]] || sudo=sudo; \
		$$sudo apt-get update -q && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends curl jq; }

fuzz-tools: ## Install the pinned schemathesis into bin/schemathesis-venv when missing
	@if ! $(SCHEMATHESIS) --version 2>/dev/null | grep -q "version $(SCHEMATHESIS_VERSION)$$"; then \
		echo "installing schemathesis $(SCHEMATHESIS_VERSION) into $(SCHEMATHESIS_VENV)"; \
		python3 -m venv $(SCHEMATHESIS_VENV); \
		$(SCHEMATHESIS_VENV)/bin/pip install -q schemathesis==$(SCHEMATHESIS_VERSION); \
	fi

fuzz-api: services fuzz-tools ## Fuzz the order API against its OpenAPI document, all phases and checks (FUZZ_API_URL: a running one; FUZZ_API_AUTH: an Authorization value)
	$(FUZZ_API) --max-examples $(or $(FUZZ_EXAMPLES),100) --max-time $(or $(FUZZ_SECONDS),600)

lint-tools: ## Install the pinned golangci-lint into bin/ when missing
	@if ! $(GOLANGCI_LINT) --version 2>/dev/null | grep -q "version $(GOLANGCI_LINT_VERSION) "; then \
		echo "installing golangci-lint v$(GOLANGCI_LINT_VERSION) into bin/"; \
		GOBIN='$(CURDIR)/bin' $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v$(GOLANGCI_LINT_VERSION); \
	fi

lint: lint-tools ## Run golangci-lint (config: .golangci.yml)
	$(GOLANGCI_LINT) run ./...

tail: services ## Print the events on Kafka (TOPIC=orders.events by default)
	$(GO) run ./cmd/orders tail -topic $(or $(TOPIC),orders.events)

parked: ## List the messages the consumers parked; release an order with `go run ./cmd/orders parked release ORDER_ID` (see docs/saga.md)
	$(GO) run ./cmd/orders parked

# Benchmarks take a lock so that two never share the machine's cores.
BENCH_LOCK := flock /tmp/orders-bench.lock

bench: services ## Measure the whole pipeline beside its baselines (about 40 minutes; see docs/benchmarks.md)
	$(BENCH_LOCK) $(GO) run ./cmd/orders-bench

bench-short: services ## The same comparison, short (a few minutes)
	$(BENCH_LOCK) $(GO) run ./cmd/orders-bench -short

bench-forwarder: services ## The forwarder alone beside the stock Watermill forwarder: drain and latency
	$(BENCH_LOCK) $(GO) run ./cmd/outbox-bench

# The system tests are one package, internal/systemtest; these pick the
# scenarios each target runs in its long version (without -short).
FORWARDER_FAILURE_TESTS := ^TestForwarderSurvives
FAILURE_TESTS := ^(TestForwarderSurvives.*|TestStandbyTakesOverAFrozenForwarder|TestRepeatedFreezesLoseNothing|TestConsumersScaleOut|TestEachServiceOnItsOwnDatabase|TestOrdersAllLogsASummaryAndStopsWithoutErrors|TestServicesRunAsTheirOwnRoles)$$

test-chaos: services ## The full failure tests: SIGKILLs, a 30 s Kafka outage, a PostgreSQL restart, forwarders frozen with SIGSTOP, consumers killed and added
	$(GO) test -tags chaos -count=1 -p 1 -timeout 30m -v -run '$(FAILURE_TESTS)' ./internal/systemtest/

test-rolling-restart: services ## Every process SIGTERMed and restarted one by one, three rounds, under a steady load of orders
	$(GO) test -count=1 -p 1 -timeout 20m -v -run '^TestRollingRestartUnderLoad$$' ./internal/systemtest/

# The whole system under faults, on a PostgreSQL and a three-broker Kafka
# cluster of its own (ports 5462 and 9302-9307, 9312-9314, 9322-9324; see
# scripts/chaos.sh), started and stopped by the run.
CHAOS_SHORT_SCENARIOS := TestChaos/(kill|leader|network-cut)$$

chaos: ## The whole system under faults: every scenario, the table written to docs/reliability.md (30 minutes and more)
	CHAOS_REPORT='$(CURDIR)/docs/reliability.md' CHAOS_COMMAND='make chaos' bash scripts/chaos.sh -timeout 120m -v

chaos-short: ## A short version of `make chaos`: three scenarios at a low rate, short faults (a few minutes)
	bash scripts/chaos.sh -short -timeout 20m -run '$(CHAOS_SHORT_SCENARIOS)'

clean: ## Remove build output
	rm -rf bin

# Native Go fuzzing: every FuzzXxx target, one after the other (their seeds
# and found inputs under testdata/fuzz run in every `go test` already).
.PHONY: fuzz
fuzz: services ## Run every Go fuzz target for FUZZTIME each (default 60s); FUZZ=regexp picks targets
	FUZZTIME='$(or $(FUZZTIME),60s)' bash scripts/fuzz.sh '$(or $(FUZZ),.)'
