#!/usr/bin/env bash
# Starts and stops the backing servers on loopback (DESIGN.md §6).
#
#   scripts/servers.sh start  [ferretdb] [nats] [stripe] [redis]   (no names = all)
#   scripts/servers.sh stop   [ferretdb] [nats] [stripe] [redis]   (no names = all)
#   scripts/servers.sh status [ferretdb] [nats] [stripe] [redis]
#
# Ports (environment, defaults):
#   FERRETDB_PORT=27017                 FerretDB behind our serializing gate
#   NATS_STREAMING_PORT=4223            nats-streaming-server (4222 is the machine's
#   NATS_STREAMING_MONITOR_PORT=8223      plain NATS and is never touched)
#   STRIPE_MOCK_PORT=12111              stripe-mock HTTP
#   STRIPE_MOCK_HTTPS_PORT=12112        stripe-mock HTTPS (it always opens one)
#   REDIS_PORT=6379                     redis-server (reused when already answering)
#   SERVERS_START_TIMEOUT=30            seconds to wait for each server
#
# State lives under .run/ at the repo root (git-ignored): pids/<name>.pid,
# logs/<name>.log, data/<name>/. FerretDB and NATS Streaming get a fresh data
# directory on every start. `start` is a no-op for a server that is already
# running and healthy. `stop` only stops servers this script started (by PID:
# TERM, then KILL), so a redis that was already running is left alone.
# Exports nothing; prints the URLs to use.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR="$ROOT/.run"
PID_DIR="$RUN_DIR/pids"
LOG_DIR="$RUN_DIR/logs"
DATA_DIR="$RUN_DIR/data"
BIN_DIR="$ROOT/tools/bin"

FERRETDB_PORT=${FERRETDB_PORT:-27017}
NATS_STREAMING_PORT=${NATS_STREAMING_PORT:-4223}
NATS_STREAMING_MONITOR_PORT=${NATS_STREAMING_MONITOR_PORT:-8223}
STRIPE_MOCK_PORT=${STRIPE_MOCK_PORT:-12111}
STRIPE_MOCK_HTTPS_PORT=${STRIPE_MOCK_HTTPS_PORT:-12112}
REDIS_PORT=${REDIS_PORT:-6379}
SERVERS_START_TIMEOUT=${SERVERS_START_TIMEOUT:-30}
STOP_GRACE_SECONDS=5

ALL=(ferretdb nats stripe redis)

say() { echo "servers.sh: $*"; }
die() { echo "servers.sh: error: $*" >&2; exit 1; }

# --- helpers -----------------------------------------------------------------

# tcp_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
tcp_open() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# http_answers URL: any HTTP response at all (stripe-mock answers 401 without a key).
http_answers() {
	local code
	code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null) || true
	[[ -n "$code" && "$code" != 000 ]]
}

redis_answers() { [[ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

# healthy NAME: the server answers like it should.
healthy() {
	case $1 in
	ferretdb) tcp_open "$FERRETDB_PORT" && grep -q '^ferretdb ready on' "$LOG_DIR/ferretdb.log" 2>/dev/null ;;
	nats) http_answers "http://127.0.0.1:$NATS_STREAMING_MONITOR_PORT/streaming/serverz" && tcp_open "$NATS_STREAMING_PORT" ;;
	stripe) http_answers "http://127.0.0.1:$STRIPE_MOCK_PORT/v1/charges" ;;
	redis) redis_answers ;;
	esac
}

# ports NAME: the TCP ports the server listens on.
ports() {
	case $1 in
	ferretdb) echo "$FERRETDB_PORT" ;;
	nats) echo "$NATS_STREAMING_PORT $NATS_STREAMING_MONITOR_PORT" ;;
	stripe) echo "$STRIPE_MOCK_PORT $STRIPE_MOCK_HTTPS_PORT" ;;
	redis) echo "$REDIS_PORT" ;;
	esac
}

# binary NAME: the executable, used to check a PID still is our process.
binary() {
	case $1 in
	ferretdb) echo "$BIN_DIR/ferretdb" ;;
	nats) echo "$BIN_DIR/nats-streaming-server" ;;
	stripe) echo "$BIN_DIR/stripe-mock" ;;
	redis) command -v redis-server || echo redis-server ;;
	esac
}

# alive PID: the process exists and is not a zombie (an exited child that
# PID 1 has not reaped yet still answers kill -0).
alive() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n "$state" && "$state" != Z ]]
}

# our_pid NAME: prints the PID from the pid file if that process is alive and
# still runs the expected executable (guards against PID reuse).
our_pid() {
	local file="$PID_DIR/$1.pid" pid exe
	[[ -f "$file" ]] || return 1
	pid=$(<"$file")
	[[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" || return 1
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	# " (deleted)": tools/build.sh replaced the binary while it ran.
	# readlink -f: Debian's redis-server is a symlink to redis-check-rdb.
	[[ "${exe% (deleted)}" == "$(readlink -f "$(binary "$1")")" ]] || return 1
	echo "$pid"
}

# launch NAME COMMAND...: starts COMMAND detached, output to its log, PID to its pid file.
launch() {
	local name=$1
	shift
	: >"$LOG_DIR/$name.log"
	# setsid: own session, so a Ctrl-C in the caller's terminal does not reach it.
	setsid "$@" >"$LOG_DIR/$name.log" 2>&1 </dev/null &
	echo $! >"$PID_DIR/$name.pid"
}

# wait_healthy NAME: waits until healthy; on timeout or early exit prints the
# log tail, stops the process and fails.
wait_healthy() {
	local name=$1 pid deadline=$((SECONDS + SERVERS_START_TIMEOUT))
	pid=$(<"$PID_DIR/$name.pid")
	while ! healthy "$name"; do
		local why=""
		if ! alive "$pid"; then
			why="exited"
		elif ((SECONDS >= deadline)); then
			why="did not answer within ${SERVERS_START_TIMEOUT}s"
		fi
		if [[ -n "$why" ]]; then
			echo "servers.sh: error: $name $why; last lines of $LOG_DIR/$name.log:" >&2
			tail -n 20 "$LOG_DIR/$name.log" | sed 's/^/    /' >&2
			kill_pid "$pid"
			rm -f "$PID_DIR/$name.pid"
			exit 1
		fi
		sleep 0.2
	done
	say "$name: ready (pid $pid)"
}

# kill_pid PID: TERM, then KILL after STOP_GRACE_SECONDS.
kill_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < STOP_GRACE_SECONDS * 10; i++)); do
		alive "$pid" || return 0
		sleep 0.1
	done
	say "pid $pid did not stop after ${STOP_GRACE_SECONDS}s; sending KILL"
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 20; i++)); do
		alive "$pid" || return 0
		sleep 0.1
	done
}

url() {
	case $1 in
	ferretdb) echo "MONGO_URI=mongodb://127.0.0.1:$FERRETDB_PORT" ;;
	nats) echo "NATS_URL=nats://127.0.0.1:$NATS_STREAMING_PORT" ;;
	stripe) echo "STRIPE_API_BASE=http://127.0.0.1:$STRIPE_MOCK_PORT" ;;
	redis) echo "REDIS_URL=redis://127.0.0.1:$REDIS_PORT" ;;
	esac
}

# --- start -------------------------------------------------------------------

start_one() {
	local name=$1 pid port
	if pid=$(our_pid "$name"); then
		if healthy "$name"; then
			say "$name: already running (pid $pid)"
			return
		fi
		say "$name: pid $pid is not answering; restarting it"
		kill_pid "$pid"
	fi
	rm -f "$PID_DIR/$name.pid"

	if [[ $name == redis ]] && redis_answers; then
		say "redis: a redis-server not started by this script answers on $REDIS_PORT; using it"
		return
	fi
	for port in $(ports "$name"); do
		tcp_open "$port" && die "$name: port $port on 127.0.0.1 is already in use by another process"
	done

	case $name in
	ferretdb)
		rm -rf "$DATA_DIR/ferretdb" && mkdir -p "$DATA_DIR/ferretdb"
		launch ferretdb "$BIN_DIR/ferretdb" --listen "127.0.0.1:$FERRETDB_PORT" \
			--data-dir "$DATA_DIR/ferretdb" --log-level "${FERRETDB_LOG_LEVEL:-warn}"
		;;
	nats)
		rm -rf "$DATA_DIR/nats" && mkdir -p "$DATA_DIR/nats"
		launch nats "$BIN_DIR/nats-streaming-server" -a 127.0.0.1 -p "$NATS_STREAMING_PORT" \
			-m "$NATS_STREAMING_MONITOR_PORT" -cid ticketing -store file -dir "$DATA_DIR/nats"
		;;
	stripe)
		# -http-addr alone still opens HTTPS on all interfaces (:12112), so pin
		# both listeners to loopback.
		launch stripe "$BIN_DIR/stripe-mock" -http-addr "127.0.0.1:$STRIPE_MOCK_PORT" \
			-https-addr "127.0.0.1:$STRIPE_MOCK_HTTPS_PORT"
		;;
	redis)
		command -v redis-server >/dev/null || die "redis: redis-server is not installed (apt-get install redis-server)"
		mkdir -p "$DATA_DIR/redis"
		# The machine's usual command, but in the foreground so that we own the
		# PID, with data and log under .run/.
		launch redis redis-server --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
			--appendonly no --dir "$DATA_DIR/redis" --logfile ""
		;;
	esac
	wait_healthy "$name"
}

cmd_start() {
	local name
	mkdir -p "$PID_DIR" "$LOG_DIR" "$DATA_DIR"
	for name in "$@"; do
		[[ $name == redis ]] && continue
		bash "$ROOT/tools/build.sh" # fast when the binaries are current
		break
	done
	for name in "$@"; do start_one "$name"; done
	for name in "$@"; do url "$name"; done
}

# --- stop / status -----------------------------------------------------------

cmd_stop() {
	local name pid
	for name in "$@"; do
		if pid=$(our_pid "$name"); then
			kill_pid "$pid"
			say "$name: stopped (pid $pid)"
		elif [[ -f "$PID_DIR/$name.pid" ]]; then
			say "$name: was not running"
		elif [[ $name == redis ]] && redis_answers; then
			say "redis: not started by this script; left running"
		fi
		rm -f "$PID_DIR/$name.pid"
		rm -rf "${DATA_DIR:?}/$name"
	done
	rmdir "$PID_DIR" "$DATA_DIR" 2>/dev/null || true
}

cmd_status() {
	local name pid
	for name in "$@"; do
		if pid=$(our_pid "$name"); then
			if healthy "$name"; then say "$name: running (pid $pid) $(url "$name")"; else say "$name: pid $pid NOT answering"; fi
		elif [[ $name == redis ]] && redis_answers; then
			say "redis: running (not started by this script) $(url redis)"
		else
			say "$name: stopped"
		fi
	done
}

# --- main --------------------------------------------------------------------

usage() { die "usage: scripts/servers.sh start|stop|status [ferretdb] [nats] [stripe] [redis]"; }

(($# >= 1)) || usage
command=$1
shift
names=("$@")
((${#names[@]})) || names=("${ALL[@]}")
for name in "${names[@]}"; do
	[[ " ${ALL[*]} " == *" $name "* ]] || die "unknown server '$name' (known: ${ALL[*]})"
done

case $command in
start) cmd_start "${names[@]}" ;;
stop) cmd_stop "${names[@]}" ;;
status) cmd_status "${names[@]}" ;;
*) usage ;;
esac
