#!/usr/bin/env bash
# Starts, stops and checks the services the Order service needs on a
# development or CI machine:
#
#   PostgreSQL  127.0.0.1:$PGPORT    (role orders/orders, databases orders and orders_test;
#                                     the services' roles orders_app, inventory_app, payment_app,
#                                     each with its name as password)
#   Kafka       127.0.0.1:$KAFKA_PORT (single node, KRaft broker+controller), or with
#               KAFKA_CLUSTER=3 three of them, a three-voter quorum, on KAFKA_PORT,
#               KAFKA_PORT+2, KAFKA_PORT+4 (scripts/kafka/brokers.sh has the layout)
#
# Usage: scripts/services.sh [COMMAND]
#
#   up                (default) start whatever is not already answering, then wait for both
#   down              stop the services this script started (others are left alone)
#   destroy           down, then drop the PostgreSQL cluster up created and remove the state dir
#   status            say whether each service answers (exit 1 if one does not)
#   restart-postgres  restart the local PostgreSQL cluster (fast shutdown)
#   stop-kafka        stop the brokers started by this script (their data is kept)
#   start-kafka       start the brokers again (their data is kept)
#   stop-broker N     stop broker N of the cluster (SIGTERM); kill-broker N: SIGKILL
#   start-broker N    start broker N again
#   brokers           print the brokers' addresses, as KAFKA_BROKERS wants them
#
# Services that already answer (a local cluster, docker compose, ...) are reused.
# PostgreSQL is installed with apt-get when it is missing; Kafka's jars are
# fetched with Maven (scripts/kafka/pom.xml). State (Kafka jars, Kafka data,
# logs, pid file) lives outside the work tree, in $ORDERS_SERVICES_DIR
# (default: ${XDG_CACHE_HOME:-$HOME/.cache}/orders-services).
#
# Environment: KAFKA_VERSION (4.1.1), KAFKA_CLUSTER (1), PGPORT (5432), KAFKA_PORT (9092),
# KAFKA_CONTROLLER_PORT (KAFKA_PORT+1), PG_WAIT_SECONDS (30),
# KAFKA_WAIT_SECONDS (90: how long a starting broker may log nothing),
# KAFKA_MAX_WAIT_SECONDS (900: how long its start may take in all),
# ORDERS_SERVICES_DIR, KAFKA_LIBS_DIR (where the Kafka jars are fetched:
# $ORDERS_SERVICES_DIR/kafka/libs; state dirs may share one).
set -euo pipefail
# shellcheck source=lib/on-error.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib/on-error.sh"

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd -- "$SCRIPT_DIR/.." && pwd)

KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
PGPORT=${PGPORT:-5432}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}
PG_WAIT_SECONDS=${PG_WAIT_SECONDS:-30}
KAFKA_WAIT_SECONDS=${KAFKA_WAIT_SECONDS:-90}
KAFKA_MAX_WAIT_SECONDS=${KAFKA_MAX_WAIT_SECONDS:-900}
HOST=127.0.0.1

STATE_DIR=${ORDERS_SERVICES_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/orders-services}
# KAFKA_CLUSTER: 1 broker, or a cluster of that many (at most 5); unset, the
# size the last `up` in this state dir started.
KAFKA_CLUSTER=${KAFKA_CLUSTER:-$(cat "$STATE_DIR/kafka.cluster" 2>/dev/null || echo 1)}
[[ $KAFKA_CLUSTER =~ ^[1-5]$ ]] || { echo "error: KAFKA_CLUSTER: want 1 to 5, got '$KAFKA_CLUSTER'" >&2; exit 2; }
LOG_DIR=$STATE_DIR/logs
KAFKA_DIR=$STATE_DIR/kafka
KAFKA_LIBS=${KAFKA_LIBS_DIR:-$KAFKA_DIR/libs}/$KAFKA_VERSION
KAFKA_LIBS_MARKER=$KAFKA_LIBS/.complete
KAFKA_CLUSTER_ID_FILE=$KAFKA_DIR/cluster.id
KAFKA_CLUSTER_FILE=$STATE_DIR/kafka.cluster # the cluster size `up` last started
PG_MARKER=$STATE_DIR/postgres.started # "VERSION CLUSTER" of the cluster this script started
PG_CREATED=$STATE_DIR/postgres.created # "VERSION CLUSTER" of the cluster this script created
KAFKAPING=$STATE_DIR/bin/kafkaping

DATABASE_URL_LOCAL="postgres://orders:orders@$HOST:$PGPORT/orders?sslmode=disable"
TEST_DATABASE_URL_LOCAL="postgres://orders:orders@$HOST:$PGPORT/orders_test?sslmode=disable"

SUDO=()
if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null 2>&1; then
	SUDO=(sudo)
fi

say() { printf '%s\n' "$*"; }
warn() { printf '%s\n' "$*" >&2; }
die() {
	warn "error: $*"
	exit 1
}

# show_log FILE...: the last 50 lines of each non-empty file, on stderr.
show_log() {
	local f
	for f in "$@"; do
		if [[ -s $f ]]; then
			warn "----- last 50 lines of $f -----"
			tail -n 50 "$f" >&2 || true
			warn "-----"
		fi
	done
}

tcp_open() { # HOST PORT
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# The lock serialises concurrent runs (e.g. two make targets at once). Every
# process started below gets "9>&-" so that it does not keep it; the
# daemons are started detached (exec_detached), which closes it too.
take_lock() {
	mkdir -p "$STATE_DIR" "$LOG_DIR"
	exec 9>"$STATE_DIR/.lock"
	if ! flock -w 300 9; then
		die "another scripts/services.sh holds $STATE_DIR/.lock"
	fi
}

# exec_detached CMD...: replaces the current subshell with CMD in a session of
# its own, stdin from /dev/null and every descriptor above 2 closed, so that a
# daemon holds nothing of whoever started it (the lock `flock` holds for its
# command, a pipe it reads our output from, our own lock on fd 9). stdout and
# stderr stay: callers redirect them. Call it as the last command of a
# subshell, "(... exec_detached CMD) &": CMD then keeps the subshell's pid, $!.
# setsid forks only in a process-group leader, which a subshell of a script
# is not; -w then waits for CMD as a plain command would.
exec_detached() {
	local fd
	for fd in /proc/"$BASHPID"/fd/*; do
		fd=${fd##*/}
		if ((fd > 2)); then
			eval "exec $fd>&-"
		fi
	done
	exec setsid -w "$@" </dev/null
}

APT_UPDATED=0
apt_install() {
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* by hand"
	if [[ $APT_UPDATED -eq 0 ]]; then
		"${SUDO[@]}" apt-get update -q 9>&-
		APT_UPDATED=1
	fi
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" 9>&-
}

# --------------------------------------------------------------------------
# PostgreSQL

pg_answers() {
	if command -v pg_isready >/dev/null 2>&1; then
		pg_isready -q -h "$HOST" -p "$PGPORT" -t 2 >/dev/null 2>&1
	else
		tcp_open "$HOST" "$PGPORT"
	fi
}

pg_major() { # newest installed server version, or nothing
	local d
	for d in /usr/lib/postgresql/*/bin/postgres; do
		[[ -x $d ]] && basename "$(dirname "$(dirname "$d")")"
	done | sort -V | tail -n 1
}

pg_installed() {
	command -v pg_ctlcluster >/dev/null 2>&1 && command -v pg_lsclusters >/dev/null 2>&1 && [[ -n $(pg_major) ]]
}

# pg_clusters: "version name port status log" per local cluster.
pg_clusters() {
	command -v pg_lsclusters >/dev/null 2>&1 || return 0
	pg_lsclusters --no-header 2>/dev/null | awk '{print $1, $2, $3, $4, $7}'
}

# pg_pick_cluster: "version name" of the local cluster configured for $PGPORT.
# A cluster configured for another port is never moved: up creates one instead.
pg_pick_cluster() {
	pg_clusters | awk -v port="$PGPORT" '$3 == port { print $1, $2; exit }'
}

# pg_new_cluster_name: "main" on a machine without clusters, else "orders"
# (or "orders_PORT" when "orders" exists for another port).
pg_new_cluster_name() {
	local v=$1
	if [[ -z $(pg_clusters) ]]; then
		echo main
	elif [[ -z $(pg_clusters | awk -v v="$v" '$1 == v && $2 == "orders"') ]]; then
		echo orders
	else
		echo "orders_$PGPORT"
	fi
}

pg_cluster_field() { # VERSION NAME FIELD(3=port 4=status 5=log)
	pg_clusters | awk -v v="$1" -v n="$2" -v f="$3" '$1 == v && $2 == n { print $f; exit }'
}

# pg_local_online_cluster: "version name" of a local cluster online on $PGPORT.
pg_local_online_cluster() {
	pg_clusters | awk -v port="$PGPORT" '$3 == port && $4 == "online" { print $1, $2; exit }'
}

# pg_started_here "VERSION NAME": whether this script started that cluster.
pg_started_here() {
	[[ -f $PG_MARKER && $(cat "$PG_MARKER") == "$*" ]]
}

pg_log_of() { pg_cluster_field "$1" "$2" 5; }

as_postgres() {
	local run
	if [[ $(id -u) -eq 0 ]]; then
		run=(runuser -u postgres --)
	else
		run=(sudo -u postgres --)
	fi
	(cd / && env -u PGHOST -u PGUSER -u PGDATABASE -u PGPASSWORD -u PGSERVICE -u PGSSLMODE \
		"${run[@]}" "$@" 9>&-)
}

# pg_ctlcluster_detached ARGS...: pg_ctlcluster ARGS, with the server it
# starts detached from us. sudo closes the descriptors above 2 itself and may
# ask for a password on our terminal, so setsid goes after it.
pg_ctlcluster_detached() {
	if [[ ${#SUDO[@]} -gt 0 ]]; then
		"${SUDO[@]}" setsid -w pg_ctlcluster "$@" </dev/null 9>&-
	else
		(exec_detached pg_ctlcluster "$@")
	fi
}

pg_set() { # VERSION NAME KEY VALUE -> prints "changed" when the value was different
	local v=$1 c=$2 key=$3 value=$4 cur
	cur=$(pg_conftool "$v" "$c" show "$key" 2>/dev/null | sed -E "s/^[^=]*=[[:space:]]*//; s/^'(.*)'\$/\\1/") || cur=
	if [[ $cur != "$value" ]]; then
		"${SUDO[@]}" pg_conftool "$v" "$c" set "$key" "$value" 9>&-
		echo changed
	fi
}

pg_wait() { # seconds
	local deadline=$((SECONDS + $1))
	until pg_answers; do
		((SECONDS < deadline)) || return 1
		sleep 0.5
	done
}

# Least privilege: the services' roles (password = name, for local use).
# The migrations, run as the owner orders, grant each its own tables.
PG_SERVICE_ROLES_SQL=$(cat <<'SQL'
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['orders_app', 'inventory_app', 'payment_app'] LOOP
		IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', r, r);
		END IF;
	END LOOP;
END
$$;
SQL
)

pg_ensure_role_and_dbs_local() {
	# pg_signal_backend: the tests drop their databases WITH (FORCE), which
	# must be allowed to end an autovacuum worker on them.
	as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PGPORT" -d postgres >/dev/null <<'SQL'
SET client_min_messages = warning;
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'orders') THEN
		CREATE ROLE orders LOGIN CREATEDB PASSWORD 'orders';
	ELSE
		ALTER ROLE orders LOGIN CREATEDB PASSWORD 'orders';
	END IF;
END
$$;
SELECT 'CREATE DATABASE orders OWNER orders'
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'orders')\gexec
SELECT 'CREATE DATABASE orders_test OWNER orders'
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'orders_test')\gexec
ALTER DATABASE orders OWNER TO orders;
ALTER DATABASE orders_test OWNER TO orders;
GRANT pg_signal_backend TO orders;
-- pg_stat_statements with every database's statement texts.
GRANT pg_read_all_stats TO orders;
SELECT 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements'
 WHERE EXISTS (SELECT FROM pg_catalog.pg_available_extensions WHERE name = 'pg_stat_statements')\gexec
-- The tests forget a dropped database's statements (internal/testenv), so
-- that those of thousands of dropped databases never fill the table: a full
-- table evicts the least-called entries, a running test's among them.
SELECT format('GRANT EXECUTE ON FUNCTION %s TO orders', p.oid::regprocedure)
  FROM pg_catalog.pg_proc p WHERE p.proname = 'pg_stat_statements_reset'\gexec
-- Those of databases dropped before that was so.
SELECT 'SELECT count(pg_stat_statements_reset(0, s.dbid, 0))
  FROM (SELECT DISTINCT dbid FROM pg_stat_statements) AS s
 WHERE s.dbid <> 0 AND NOT EXISTS (SELECT FROM pg_catalog.pg_database d WHERE d.oid = s.dbid)'
 WHERE EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_stat_statements')
   AND current_setting('shared_preload_libraries') LIKE '%pg_stat_statements%'\gexec
SQL
	as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PGPORT" -d postgres >/dev/null <<<"$PG_SERVICE_ROLES_SQL"
}

# For a PostgreSQL this script cannot administer (docker compose, another
# host's cluster, ...): create the databases as orders when that is allowed.
pg_ensure_dbs_as_orders() {
	psql -X -q "postgres://orders:orders@$HOST:$PGPORT/postgres?sslmode=disable" -v ON_ERROR_STOP=1 >/dev/null 2>&1 <<'SQL' || true
SELECT 'CREATE DATABASE orders OWNER orders'
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'orders')\gexec
SELECT 'CREATE DATABASE orders_test OWNER orders'
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'orders_test')\gexec
SQL
	# Where orders may create roles (docker compose makes it a superuser).
	psql -X -q "postgres://orders:orders@$HOST:$PGPORT/postgres?sslmode=disable" -v ON_ERROR_STOP=1 >/dev/null 2>&1 <<<"$PG_SERVICE_ROLES_SQL" || true
}

pg_check_login() {
	local url out
	for url in "$DATABASE_URL_LOCAL" "$TEST_DATABASE_URL_LOCAL"; do
		if ! out=$(psql -X -q -t -A "$url" -c 'select 1' 2>&1); then
			warn "$out"
			return 1
		fi
	done
}

pg_need_client() {
	command -v psql >/dev/null 2>&1 && return 0
	say "postgres: psql not found, installing postgresql-client with apt-get"
	apt_install postgresql-client >"$LOG_DIR/postgres-install.log" 2>&1 ||
		{ show_log "$LOG_DIR/postgres-install.log"; die "could not install postgresql-client"; }
}

postgres_up() {
	local action cluster v c status log changed

	if pg_answers; then
		pg_need_client
		cluster=$(pg_local_online_cluster)
		if [[ -n $cluster ]]; then
			read -r v c <<<"$cluster"
			pg_ensure_role_and_dbs_local || die "could not create role/databases in local cluster $v/$c"
			if pg_started_here "$v" "$c"; then
				action="already running (local cluster $v/$c)"
			else
				action="reused (local cluster $v/$c, already running)"
			fi
		else
			pg_ensure_dbs_as_orders
			action="reused (already answering, not a local cluster)"
		fi
		if ! pg_check_login; then
			die "PostgreSQL answers on $HOST:$PGPORT but 'psql postgres://orders:orders@$HOST:$PGPORT/orders -c \"select 1\"' (and .../orders_test) fails.
       Create role orders (password orders, LOGIN CREATEDB) and databases orders, orders_test owned by it,
       or stop that server so that this script can start its own."
		fi
		say "postgres: $action at $HOST:$PGPORT (databases orders, orders_test)"
		return 0
	fi

	local installed=""
	if ! pg_installed; then
		say "postgres: not installed, installing with apt-get (log: $LOG_DIR/postgres-install.log)"
		if ! apt_install postgresql postgresql-contrib >"$LOG_DIR/postgres-install.log" 2>&1; then
			show_log "$LOG_DIR/postgres-install.log"
			die "apt-get install postgresql failed"
		fi
		pg_installed || { show_log "$LOG_DIR/postgres-install.log"; die "PostgreSQL still not found after apt-get install"; }
		installed="installed PostgreSQL $(pg_major), "
	fi

	cluster=$(pg_pick_cluster)
	if [[ -z $cluster ]]; then
		v=$(pg_major)
		c=$(pg_new_cluster_name "$v")
		say "postgres: no cluster for port $PGPORT, creating $v/$c"
		"${SUDO[@]}" pg_createcluster "$v" "$c" --port "$PGPORT" >"$LOG_DIR/postgres-createcluster.log" 2>&1 9>&- ||
			{ show_log "$LOG_DIR/postgres-createcluster.log"; die "pg_createcluster $v $c failed"; }
		echo "$v $c" >"$PG_CREATED"
		cluster="$v $c"
	fi
	read -r v c <<<"$cluster"

	changed=""
	changed+=$(pg_set "$v" "$c" port "$PGPORT")
	changed+=$(pg_set "$v" "$c" listen_addresses "localhost")
	changed+=$(pg_set "$v" "$c" max_connections "300")
	# Per-statement figures for the benchmarks and for operators
	# (docs/benchmarks.md reads them); loaded at start, so it takes a restart.
	changed+=$(pg_set "$v" "$c" shared_preload_libraries "pg_stat_statements")
	# Room for the statements of the thousands of databases a test run
	# makes: past the bound it evicts the least called, the ones a test
	# counts (StatementCalls).
	changed+=$(pg_set "$v" "$c" pg_stat_statements.max "50000")
	# Each transaction's commit time (pg_xact_commit_timestamp), so that the
	# benchmarks measure commit → Kafka from the commit itself; takes a restart.
	changed+=$(pg_set "$v" "$c" track_commit_timestamp "on")
	# What an operator needs when an order or a shard is stuck, in the
	# server's log: a statement that ran over a second, a session that
	# waited over deadlock_timeout (1 s) for a lock, an autovacuum over a
	# second.
	changed+=$(pg_set "$v" "$c" log_min_duration_statement "1s")
	changed+=$(pg_set "$v" "$c" log_lock_waits "on")
	changed+=$(pg_set "$v" "$c" log_autovacuum_min_duration "1s")

	if [[ $(id -u) -eq 0 && ! -d /var/run/postgresql ]]; then
		install -d -o postgres -g postgres -m 2775 /var/run/postgresql
	fi

	status=$(pg_cluster_field "$v" "$c" 4)
	log=$(pg_log_of "$v" "$c")
	if [[ $status == online ]]; then
		# Online but not answering on $HOST:$PGPORT: it had another port or address.
		pg_ctlcluster_detached "$v" "$c" restart -m fast ||
			{ show_log "$log"; die "pg_ctlcluster $v $c restart failed"; }
		action="${installed}restarted local cluster $v/$c${changed:+ (configuration changed)}"
	else
		pg_ctlcluster_detached "$v" "$c" start ||
			{ show_log "$log"; die "pg_ctlcluster $v $c start failed"; }
		echo "$v $c" >"$PG_MARKER"
		action="${installed}started local cluster $v/$c"
	fi

	if ! pg_wait "$PG_WAIT_SECONDS"; then
		show_log "$log"
		die "PostgreSQL $v/$c did not accept connections on $HOST:$PGPORT within ${PG_WAIT_SECONDS}s"
	fi
	pg_ensure_role_and_dbs_local || { show_log "$log"; die "could not create role/databases in $v/$c"; }
	pg_check_login || { show_log "$log"; die "cannot log in as orders on $HOST:$PGPORT"; }
	say "postgres: $action at $HOST:$PGPORT (databases orders, orders_test; log $log)"
}

postgres_down() {
	local v c
	if [[ ! -f $PG_MARKER ]]; then
		say "postgres: not started by this script, left alone"
		return 0
	fi
	read -r v c <"$PG_MARKER"
	if [[ $(pg_cluster_field "$v" "$c" 4) == online ]]; then
		"${SUDO[@]}" pg_ctlcluster "$v" "$c" stop -m fast 9>&- || die "pg_ctlcluster $v $c stop failed"
		say "postgres: stopped local cluster $v/$c"
	else
		say "postgres: local cluster $v/$c was not running"
	fi
	rm -f "$PG_MARKER"
}

# postgres_drop: drops the cluster this state dir's `up` created, if any.
postgres_drop() {
	local v c
	[[ -f $PG_CREATED ]] || return 0
	read -r v c <"$PG_CREATED"
	if [[ -n $(pg_cluster_field "$v" "$c" 4) ]]; then
		"${SUDO[@]}" pg_dropcluster --stop "$v" "$c" 9>&- || die "pg_dropcluster $v $c failed"
		say "postgres: dropped local cluster $v/$c"
	fi
	rm -f "$PG_CREATED"
}

postgres_restart() {
	local cluster v c log
	cluster=$(pg_pick_cluster)
	[[ -n $cluster ]] || die "no local PostgreSQL cluster on port $PGPORT to restart (is it run by docker compose?)"
	read -r v c <<<"$cluster"
	log=$(pg_log_of "$v" "$c")
	pg_ctlcluster_detached "$v" "$c" restart -m fast || { show_log "$log"; die "pg_ctlcluster $v $c restart failed"; }
	pg_wait "$PG_WAIT_SECONDS" || { show_log "$log"; die "PostgreSQL $v/$c did not come back within ${PG_WAIT_SECONDS}s"; }
	say "postgres: restarted local cluster $v/$c at $HOST:$PGPORT"
}

# --------------------------------------------------------------------------
# Kafka: scripts/kafka/brokers.sh

# shellcheck source=kafka/brokers.sh
source "$SCRIPT_DIR/kafka/brokers.sh"

# --------------------------------------------------------------------------

cmd_up() {
	take_lock
	postgres_up
	kafka_up
}

cmd_down() {
	take_lock
	kafka_stop || say "kafka: not started by this script, left alone"
	postgres_down
}

# cmd_destroy: down, then remove what up made: the PostgreSQL cluster it
# created and the state dir. For throw-away state dirs (CI, the first-start test).
cmd_destroy() {
	cmd_down
	postgres_drop
	exec 9>&-
	rm -rf "$STATE_DIR"
	say "services: removed $STATE_DIR"
}

cmd_status() {
	local rc=0 cluster
	if pg_answers; then
		cluster=$(pg_local_online_cluster)
		if [[ -z $cluster ]]; then
			say "postgres: up at $HOST:$PGPORT (not a local cluster)"
		elif pg_started_here "$cluster"; then
			say "postgres: up at $HOST:$PGPORT (local cluster ${cluster/ //}, started by this script)"
		else
			say "postgres: up at $HOST:$PGPORT (local cluster ${cluster/ //})"
		fi
	else
		say "postgres: down (nothing accepts connections at $HOST:$PGPORT)"
		rc=1
	fi
	mkdir -p "$LOG_DIR"
	kafka_status || rc=1
	return "$rc"
}

cmd_stop_kafka() {
	take_lock
	if ! kafka_stop; then
		kafka_node 1
		if tcp_open "$HOST" "$NODE_PORT"; then
			die "the broker at $HOST:$KAFKA_PORT was not started by this script; stop it where it was started"
		fi
		say "kafka: not running"
	fi
}

cmd_start_kafka() {
	take_lock
	kafka_up
}

cmd_stop_broker() { # N [SIGNAL]
	kafka_check_node_arg "${1:-}"
	take_lock
	kafka_stop_node "$1" "${2:-TERM}" || say "kafka: broker $1 was not running"
}

cmd_start_broker() { # N
	kafka_check_node_arg "${1:-}"
	take_lock
	kafka_up_nodes "$1"
}

cmd_restart_postgres() {
	take_lock
	postgres_restart
}

case "${1:-up}" in
up) cmd_up ;;
down) cmd_down ;;
destroy) cmd_destroy ;;
status) cmd_status ;;
restart-postgres) cmd_restart_postgres ;;
stop-kafka) cmd_stop_kafka ;;
start-kafka) cmd_start_kafka ;;
stop-broker) cmd_stop_broker "${2:-}" ;;
kill-broker) cmd_stop_broker "${2:-}" KILL ;;
start-broker) cmd_start_broker "${2:-}" ;;
brokers) kafka_brokers_list ;;
-h | --help | help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' ;;
*)
	warn "usage: $0 [up|down|destroy|status|restart-postgres|stop-kafka|start-kafka|stop-broker N|kill-broker N|start-broker N|brokers]"
	exit 2
	;;
esac
