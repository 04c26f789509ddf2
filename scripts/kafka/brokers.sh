# shellcheck shell=bash
# The Kafka part of scripts/services.sh, which sources it: one KRaft
# broker+controller, or a cluster of KAFKA_CLUSTER of them (a quorum of as
# many voters). Node N (1-based) of a cluster listens on loopback:
#
#   clients       KAFKA_PORT + 2(N-1)      (9092, 9094, 9096 by default)
#   controller    KAFKA_PORT + 2(N-1) + 1
#   via a proxy   KAFKA_PORT + 10 + (N-1), advertised as KAFKA_PORT + 20 + (N-1):
#                 a client that bootstraps from the advertised port reaches every
#                 broker through whatever listens there (the chaos tests' TCP
#                 proxy, which can cut that client off Kafka); nothing else does.
#
# A single broker keeps the layout it always had: KAFKA_PORT, KAFKA_CONTROLLER_PORT.

KAFKAPING_OK=0
# Builds cmd/kafkaping once into the state dir (again when its source or
# the module files change). Without it the Kafka check is a plain TCP probe.
kafkaping_build() {
	local src=$REPO_DIR/cmd/kafkaping/main.go
	if [[ -x $KAFKAPING && $KAFKAPING -nt $src && $KAFKAPING -nt $REPO_DIR/go.mod && $KAFKAPING -nt $REPO_DIR/go.sum ]]; then
		KAFKAPING_OK=1
		return 0
	fi
	if ! command -v go >/dev/null 2>&1; then
		warn "kafka: go not found; checking the broker with a TCP probe only"
		return 0
	fi
	mkdir -p "$(dirname "$KAFKAPING")"
	if (cd "$REPO_DIR" && go build -buildvcs=false -o "$KAFKAPING.tmp" ./cmd/kafkaping) >"$LOG_DIR/kafkaping-build.log" 2>&1; then
		mv -f "$KAFKAPING.tmp" "$KAFKAPING"
		KAFKAPING_OK=1
	else
		show_log "$LOG_DIR/kafkaping-build.log"
		warn "kafka: could not build cmd/kafkaping; checking the broker with a TCP probe only"
	fi
}

# kafka_nodes: the node numbers of the cluster.
kafka_nodes() { seq 1 "$KAFKA_CLUSTER"; }

# kafka_node N: points the NODE_* variables at node N.
kafka_node() {
	NODE=$1
	if ((KAFKA_CLUSTER == 1)); then
		NODE_PORT=$KAFKA_PORT NODE_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT
		NODE_DATA=$KAFKA_DIR/data NODE_PROPS=$KAFKA_DIR/server.properties
		NODE_PID_FILE=$STATE_DIR/kafka.pid NODE_LOG_DIR=$LOG_DIR
	else
		NODE_PORT=$((KAFKA_PORT + 2 * (NODE - 1)))
		NODE_CONTROLLER_PORT=$((NODE_PORT + 1))
		NODE_DATA=$KAFKA_DIR/cluster/node-$NODE/data NODE_PROPS=$KAFKA_DIR/cluster/node-$NODE/server.properties
		NODE_PID_FILE=$STATE_DIR/kafka-$NODE.pid NODE_LOG_DIR=$LOG_DIR/kafka-$NODE
	fi
	NODE_LOG=$NODE_LOG_DIR/kafka.log # broker log (log4j2, scripts/kafka/log4j2.properties)
	NODE_OUT=$NODE_LOG_DIR/kafka.out # JVM stdout/stderr
	mkdir -p "$NODE_LOG_DIR"
}

# kafka_brokers_list: the client addresses of every node, comma-separated.
kafka_brokers_list() {
	local n list=()
	for n in $(kafka_nodes); do
		kafka_node "$n"
		list+=("$HOST:$NODE_PORT")
	done
	(IFS=,; echo "${list[*]}")
}

kafka_answers() { # PORT
	tcp_open "$HOST" "$1" || return 1
	if [[ $KAFKAPING_OK -eq 1 ]]; then
		"$KAFKAPING" -q -brokers "$HOST:$1" -timeout 3s >/dev/null 2>&1
	fi
}

kafka_pid() { # prints the pid of the current node's broker if this script started it and it runs
	local pid
	[[ -f $NODE_PID_FILE ]] || return 1
	pid=$(cat "$NODE_PID_FILE")
	if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
		ps -p "$pid" -o args= 2>/dev/null | grep -q 'kafka\.Kafka'; then
		echo "$pid"
		return 0
	fi
	rm -f "$NODE_PID_FILE"
	return 1
}

kafka_need_tools() {
	if ! command -v java >/dev/null 2>&1; then
		say "kafka: java not found, installing a JRE with apt-get"
		apt_install default-jre-headless >"$LOG_DIR/java-install.log" 2>&1 ||
			{ show_log "$LOG_DIR/java-install.log"; die "could not install java"; }
	fi
	if [[ ! -f $KAFKA_LIBS_MARKER ]] && ! command -v mvn >/dev/null 2>&1; then
		say "kafka: mvn not found, installing maven with apt-get"
		apt_install maven >"$LOG_DIR/maven-install.log" 2>&1 ||
			{ show_log "$LOG_DIR/maven-install.log"; die "could not install maven"; }
	fi
}

kafka_fetch() {
	if [[ -f $KAFKA_LIBS_MARKER && -f $KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar ]]; then
		return 0
	fi
	local tmp=$KAFKA_LIBS.tmp work=$KAFKA_DIR/fetch flog=$LOG_DIR/kafka-fetch.log
	say "kafka: fetching Apache Kafka $KAFKA_VERSION with Maven into $KAFKA_LIBS (log: $flog)"
	rm -rf "$tmp" "$work"
	mkdir -p "$tmp" "$work"
	# Maven runs on a copy of the pom so that its target/ stays out of the work tree.
	cp "$SCRIPT_DIR/kafka/pom.xml" "$work/pom.xml"
	if ! mvn -q -B -Dstyle.color=never -f "$work/pom.xml" -Dkafka.version="$KAFKA_VERSION" -Dkafka.libs.dir="$tmp" package >"$flog" 2>&1 9>&-; then
		show_log "$flog"
		die "Maven could not fetch Apache Kafka $KAFKA_VERSION"
	fi
	if [[ ! -f $tmp/kafka_2.13-$KAFKA_VERSION.jar ]]; then
		show_log "$flog"
		die "Maven finished but $tmp/kafka_2.13-$KAFKA_VERSION.jar is missing"
	fi
	rm -rf "$KAFKA_LIBS" "$work"
	mv "$tmp" "$KAFKA_LIBS"
	echo "$KAFKA_VERSION" >"$KAFKA_LIBS_MARKER"
}

kafka_java() { # runs a Kafka main class with the fetched jars
	java -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
		-Dkafka.logs.dir="$NODE_LOG_DIR" -Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/log4j2.properties" \
		-cp "$KAFKA_LIBS/*" "$@"
}

kafka_write_props() {
	local n voters=() rf=1 isr=1
	mkdir -p "$NODE_DATA"
	for n in $(kafka_nodes); do
		voters+=("$n@$HOST:$((KAFKA_CLUSTER == 1 ? KAFKA_CONTROLLER_PORT : KAFKA_PORT + 2 * (n - 1) + 1))")
	done
	# A cluster keeps its internal topics on three replicas, two in sync.
	if ((KAFKA_CLUSTER > 1)); then
		rf=$((KAFKA_CLUSTER < 3 ? KAFKA_CLUSTER : 3))
		isr=$((rf > 1 ? rf - 1 : 1))
	fi
	local listeners="PLAINTEXT://$HOST:$NODE_PORT,CONTROLLER://$HOST:$NODE_CONTROLLER_PORT"
	local advertised="PLAINTEXT://$HOST:$NODE_PORT" protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
	if ((KAFKA_CLUSTER > 1)); then
		listeners+=",VIA_PROXY://$HOST:$((KAFKA_PORT + 10 + NODE - 1))"
		advertised+=",VIA_PROXY://$HOST:$((KAFKA_PORT + 20 + NODE - 1))"
		protocols+=",VIA_PROXY:PLAINTEXT"
	fi
	(IFS=,; cat >"$NODE_PROPS" <<EOF
# Written by scripts/services.sh: KRaft broker+controller $NODE of $KAFKA_CLUSTER for development.
process.roles=broker,controller
node.id=$NODE
controller.quorum.voters=${voters[*]}
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
log.dirs=$NODE_DATA
num.partitions=12
auto.create.topics.enable=true
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
group.initial.rebalance.delay.ms=0
EOF
	)
}

kafka_cluster_id() {
	local id
	if [[ -s $KAFKA_CLUSTER_ID_FILE ]]; then
		cat "$KAFKA_CLUSTER_ID_FILE"
		return 0
	fi
	id=$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$NODE_OUT" | tail -n 1) ||
		{ show_log "$NODE_OUT"; die "kafka-storage random-uuid failed"; }
	[[ -n $id ]] || die "kafka-storage random-uuid printed nothing"
	echo "$id" >"$KAFKA_CLUSTER_ID_FILE"
	echo "$id"
}

kafka_format() {
	[[ -f $NODE_DATA/meta.properties ]] && return 0
	local id
	id=$(kafka_cluster_id)
	rm -rf "$NODE_DATA"
	mkdir -p "$NODE_DATA"
	if ! kafka_java kafka.tools.StorageTool format -t "$id" -c "$NODE_PROPS" >>"$NODE_OUT" 2>&1; then
		show_log "$NODE_OUT" "$NODE_LOG"
		die "formatting the Kafka storage in $NODE_DATA failed"
	fi
}

# kafka_wait SECONDS [PID]: waits until the current node answers metadata.
# Given the PID of a broker it started, SECONDS count from the broker's last
# log line rather than from its start: a broker loads every partition's log
# before it answers, minutes with thousands of them, and logs as it goes.
# One that exits, or logs nothing for SECONDS, has failed; and none waits
# more than KAFKA_MAX_WAIT_SECONDS in all.
kafka_wait() {
	local quiet=$1 pid=${2:-} start=$SECONDS last=$SECONDS seen="" now
	until kafka_answers "$NODE_PORT"; do
		if [[ -n $pid ]]; then
			if ! kill -0 "$pid" 2>/dev/null; then
				warn "kafka: the broker process $pid exited"
				return 1
			fi
			now=$(stat -c '%s %Y' "$NODE_LOG" 2>/dev/null || true)
			if [[ $now != "$seen" ]]; then
				seen=$now
				last=$SECONDS
			fi
		fi
		((SECONDS - last < quiet && SECONDS - start < KAFKA_MAX_WAIT_SECONDS)) || return 1
		sleep 1
	done
}

# kafka_say_partitions: a broker about to load many partitions says so, and
# why its start takes a while.
kafka_say_partitions() {
	local n
	[[ -d $NODE_DATA ]] || return 0 # a first start: nothing to load
	n=$(find "$NODE_DATA" -mindepth 1 -maxdepth 1 -type d -name '*-[0-9]*' | wc -l)
	if ((n > 2000)); then
		say "kafka: broker $NODE holds $n partitions in $NODE_DATA; it loads each one's log before it answers, which can take minutes"
	fi
}

# kafka_launch: fetch, format and start the current node in the background,
# without waiting (a node of a cluster answers only once a quorum runs).
kafka_launch() {
	local pid
	kafka_need_tools
	kafka_fetch
	kafka_write_props
	kafka_format
	if [[ -s $NODE_OUT ]]; then mv -f "$NODE_OUT" "$NODE_OUT.1"; fi
	# exec_detached + nohup: the broker outlives this script and its terminal.
	(cd "$STATE_DIR" && exec_detached nohup java -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
		-XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
		-Dkafka.logs.dir="$NODE_LOG_DIR" -Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/log4j2.properties" \
		-cp "$KAFKA_LIBS/*" kafka.Kafka "$NODE_PROPS" >>"$NODE_OUT" 2>&1) &
	pid=$!
	echo "$pid" >"$NODE_PID_FILE"
}

# kafka_node_up N: starts node N unless it runs; sets STARTED to "N:pid" when it started it.
kafka_node_up() {
	local pid
	kafka_node "$1"
	STARTED=
	if pid=$(kafka_pid); then
		return 0
	fi
	if tcp_open "$HOST" "$NODE_PORT"; then
		if ((KAFKA_CLUSTER > 1)); then
			die "something not started by this script listens on $HOST:$NODE_PORT, the port of broker $NODE of the cluster (a single broker? stop it first: scripts/services.sh down)"
		fi
		kafka_wait "$KAFKA_WAIT_SECONDS" ||
			die "something listens on $HOST:$NODE_PORT but does not answer a Kafka metadata request within ${KAFKA_WAIT_SECONDS}s"
		REUSED=1
		return 0
	fi
	kafka_say_partitions
	kafka_launch
	STARTED=$(cat "$NODE_PID_FILE")
}

kafka_up_nodes() { # NODE...: start them all, then wait for each
	local n pid waited started=()
	kafkaping_build
	echo "$KAFKA_CLUSTER" >"$KAFKA_CLUSTER_FILE"
	REUSED=0
	for n in "$@"; do
		kafka_node_up "$n"
		[[ -n $STARTED ]] && started+=("$n:$STARTED")
	done
	for n in "$@"; do
		kafka_node "$n"
		pid=$(kafka_pid) || pid=
		waited=$SECONDS
		if ! kafka_wait "$KAFKA_WAIT_SECONDS" "$pid"; then
			show_log "$NODE_LOG" "$NODE_OUT"
			die "Kafka broker $n did not answer a metadata request on $HOST:$NODE_PORT after $((SECONDS - waited))s (pid ${pid:-none}, logs above; it may log nothing for KAFKA_WAIT_SECONDS=${KAFKA_WAIT_SECONDS}s, and take KAFKA_MAX_WAIT_SECONDS=${KAFKA_MAX_WAIT_SECONDS}s in all)"
		fi
	done
	if ((REUSED == 1)); then
		say "kafka: reused the broker already answering at $HOST:$KAFKA_PORT"
	elif ((${#started[@]} == 0)); then
		say "kafka: already running at $(kafka_brokers_list)"
	else
		say "kafka: started Apache Kafka $KAFKA_VERSION, node:pid ${started[*]}, at $(kafka_brokers_list) (logs under $LOG_DIR)"
	fi
}

kafka_up() {
	# shellcheck disable=SC2046 # node numbers
	kafka_up_nodes $(kafka_nodes)
}

kafka_stop_node() { # N [SIGNAL]: prints what it did; returns 1 when node N is no broker of ours
	local pid signal=${2:-TERM}
	kafka_node "$1"
	if ! pid=$(kafka_pid); then
		return 1
	fi
	kill -"$signal" "$pid" 2>/dev/null || true
	kafka_wait_exit "$pid" "$signal"
}

# kafka_wait_exit PID SIGNAL: waits for the current node's broker, signalled
# with SIGNAL, to exit (SIGKILL after 30 s), and says so.
kafka_wait_exit() {
	local pid=$1 signal=$2 i
	for ((i = 0; i < 60; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		warn "kafka: pid $pid still running 30s after SIG$signal, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 20; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
	fi
	rm -f "$NODE_PID_FILE"
	say "kafka: stopped broker $NODE (pid $pid, SIG$signal), data kept in $NODE_DATA"
}

kafka_stop() { # every node of ours; returns 1 when there was none
	local n pid entry stopping=()
	# All at once: a node stopping alone waits for a quorum the others are leaving.
	for n in $(kafka_nodes); do
		kafka_node "$n"
		if pid=$(kafka_pid); then
			kill -TERM "$pid" 2>/dev/null || true
			stopping+=("$n:$pid")
		fi
	done
	for entry in "${stopping[@]}"; do
		kafka_node "${entry%%:*}"
		kafka_wait_exit "${entry#*:}" TERM
	done
	((${#stopping[@]} > 0))
}

kafka_status() {
	local rc=0 n pid
	kafkaping_build
	for n in $(kafka_nodes); do
		kafka_node "$n"
		if kafka_answers "$NODE_PORT"; then
			pid=$(kafka_pid) || pid=
			say "kafka: broker $n up at $HOST:$NODE_PORT${pid:+ (pid $pid, started by this script)}"
		elif tcp_open "$HOST" "$NODE_PORT"; then
			say "kafka: broker $n: port $HOST:$NODE_PORT is open but metadata requests fail"
			rc=1
		else
			say "kafka: broker $n down (nothing listens at $HOST:$NODE_PORT)"
			rc=1
		fi
	done
	return "$rc"
}

kafka_check_node_arg() { # N
	[[ ${1:-} =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= KAFKA_CLUSTER)) ||
		die "want a broker number from 1 to $KAFKA_CLUSTER, got '${1:-}'"
}
