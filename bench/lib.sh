# shellcheck shell=bash disable=SC2034  # variables here are used by the scripts that source it
# Helpers sourced by the bench/*.sh scripts (not a script of its own).
#
# Every process a script starts goes through bg_start, which runs it under `timeout` (so it
# ends even if the script is killed with SIGKILL) and records its pid; the EXIT trap that
# bench_init installs stops each recorded process by pid and removes the scratch directory.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$BENCH_DIR/.." && pwd)
RESULTS_DIR=$BENCH_DIR/results
NIGHTJAR_BUILT=${NIGHTJAR:-$ROOT_DIR/build/nightjar}
SERVER_CPU=${SERVER_CPU:-1}  # the server under load runs pinned to this CPU
CLIENT_CPU=${CLIENT_CPU:-0}  # the generators run pinned to this one

BENCH_PIDS=()
BENCH_TMP=
BENCH_TEE_PID=

log() { echo "$*" >&2; }
die() { echo "${0##*/}: $*" >&2; exit 1; }

# require_positive_int VAR...: dies unless each named variable holds a positive integer.
require_positive_int() {
  local v
  for v in "$@"; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
  done
}

# Stops the process (a `timeout` wrapper, leader of its own process group) with SIGTERM,
# then SIGKILL to its whole group if it is still there after 5 s.
bench_stop() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${BENCH_PIDS[@]}"; do bench_stop "$pid"; done
  if [ -n "$BENCH_TEE_PID" ]; then
    [ "$rc" -eq 0 ] || [ "${BENCH_DONE:-}" = 1 ] ||
      echo "(stopped early, exit status $rc: the figures above are incomplete)"
    exec 1>&3 3>&-          # close the pipe to tee so it flushes and ends
    wait "$BENCH_TEE_PID" 2>/dev/null || true
  fi
  [ -n "$BENCH_TMP" ] && rm -rf "$BENCH_TMP"
  exit "$rc"
}

# bench_init: scratch dir in $BENCH_TMP, cleanup traps, this run's copy of build/nightjar in
# $NIGHTJAR (see snapshot_nightjar) and an empty $RAW_DIR for the raw output of the runs.
bench_init() {
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/nightjar-bench.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  NIGHTJAR=$BENCH_TMP/nightjar
  # The runs a benchmark makes are saved (as every run is), in its scratch database.
  export NIGHTJAR_DB=$BENCH_TMP/results.db
  snapshot_nightjar "$NIGHTJAR"
  RAW_DIR=$BENCH_TMP/runs
  mkdir -p "$RAW_DIR"
}

# bench_tee NAME: from now on, standard output also goes to the report
# bench/results/NAME-<UTC date>.txt, whose path is in $BENCH_REPORT.
bench_tee() {
  BENCH_REPORT=$RESULTS_DIR/$1-$(date -u +%Y%m%d-%H%M%S).txt
  mkdir -p "$RESULTS_DIR"
  exec 3>&1
  exec 1> >(tee "$BENCH_REPORT")
  BENCH_TEE_PID=$!
}

# bench_footer [NGINX_DIR]: the report's last lines (the load average, nginx's error log if
# it wrote one, where the report is saved); marks the report complete for bench_cleanup.
# shellcheck disable=SC2120  # NGINX_DIR is optional
bench_footer() {
  BENCH_DONE=1
  echo
  echo "load avg at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ -n "${1:-}" ] && [ -s "$1/error.log" ]; then
    echo "nginx error log:"
    sed 's/^/  /' "$1/error.log" | tail -20
  fi
  echo "saved to ${BENCH_REPORT#"$ROOT_DIR"/}"
}

# bg_start LIMIT_SECONDS OUTFILE CMD...: starts CMD in the background under timeout, with
# stdout and stderr to OUTFILE; sets BG_PID. timeout makes itself a process-group leader, so
# bench_stop can reach CMD's whole group.
bg_start() {
  local limit=$1 out=$2
  shift 2
  : >"$out"
  timeout -k 5 "$limit" "$@" >"$out" 2>&1 </dev/null &
  BG_PID=$!
  BENCH_PIDS+=("$BG_PID")
}

# bg_wait PID: waits for a process started by bg_start; prints nothing, returns its status.
bg_wait() {
  local rc=0
  wait "$1" || rc=$?
  local kept=() p
  for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
  BENCH_PIDS=("${kept[@]}")
  return "$rc"
}

# timed_run DIR NAME LIMIT CMD...: runs CMD on CLIENT_CPU under /usr/bin/time, stopped after
# LIMIT seconds; its output in DIR/NAME.out, "USER SYS" CPU seconds in DIR/NAME.time, its exit
# status in DIR/NAME.rc (the files bench/report.py reads).
timed_run() {
  local dir=$1 name=$2 limit=$3 rc=0
  shift 3
  bg_start "$limit" "$dir/$name.out" \
    /usr/bin/time -f '%U %S' -o "$dir/$name.time" taskset -c "$CLIENT_CPU" "$@"
  bg_wait "$BG_PID" || rc=$?
  echo "$rc" >"$dir/$name.rc"
}

# nightjar_listening OUT PID: waits up to 10 s for the nightjar process PID (started by
# bg_start with its output to OUT) to print its first line, "listening on HOST:PORT"; sets
# LISTEN_ADDR (HOST:PORT) and LISTEN_PORT. Dies, showing OUT, if it does not.
nightjar_listening() {
  local out=$1 pid=$2 i line='' pattern='^listening on (.+:([0-9]+))$'
  for ((i = 0; i < 100; i++)); do
    # read fails on a first line still without its newline: wait for the whole line.
    if read -r line <"$out" 2>/dev/null; then break; fi
    line=
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ $line =~ $pattern ]] || { cat "$out" >&2; die "nightjar did not print 'listening on HOST:PORT'"; }
  LISTEN_ADDR=${BASH_REMATCH[1]}
  LISTEN_PORT=${BASH_REMATCH[2]}
}

# snapshot_nightjar DEST: waits until build/nightjar exists and is not being rewritten (it is
# rebuilt by others while we measure), then copies it to DEST so every run of this script
# uses the same binary. Gives up after NIGHTJAR_WAIT seconds (default 900).
snapshot_nightjar() {
  local dest=$1 deadline=$((SECONDS + ${NIGHTJAR_WAIT:-900})) a b said=
  while :; do
    if [ -x "$NIGHTJAR_BUILT" ]; then
      a=$(stat -c '%s %y' "$NIGHTJAR_BUILT" 2>/dev/null || true)
      sleep 2
      b=$(stat -c '%s %y' "$NIGHTJAR_BUILT" 2>/dev/null || true)
      if [ -n "$a" ] && [ "$a" = "$b" ] && cp "$NIGHTJAR_BUILT" "$dest" 2>/dev/null &&
        cmp -s "$NIGHTJAR_BUILT" "$dest" && "$dest" --version >/dev/null 2>&1; then
        return 0
      fi
    fi
    ((SECONDS < deadline)) || die "$NIGHTJAR_BUILT is missing or not runnable (build it: make build)"
    [ -n "$said" ] || log "waiting for $NIGHTJAR_BUILT (missing or being rebuilt)..."
    said=1
    sleep 5
  done
}

# free_port: a port on 127.0.0.1 that was free a moment ago.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT [SECONDS]: waits until something accepts TCP connections on 127.0.0.1:PORT.
wait_port() {
  python3 - "$1" "${2:-10}" <<'EOF'
import socket, sys, time
port, limit = int(sys.argv[1]), float(sys.argv[2])
deadline = time.monotonic() + limit
while True:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        sys.exit(0)
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(1)
        time.sleep(0.05)
EOF
}

# duration_seconds 5s|500ms|1m|2: a duration as whole seconds, rounded up.
duration_seconds() {
  python3 - "$1" <<'EOF'
import math, re, sys
m = re.fullmatch(r"([0-9.]+)(ms|s|m|h)?", sys.argv[1])
if not m:
    sys.exit(f"bad duration {sys.argv[1]!r} (use e.g. 5s, 500ms, 1m)")
scale = {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600}[m.group(2)]
print(max(1, math.ceil(float(m.group(1)) * scale)))
EOF
}

# environment_header: what was measured, with what, and how busy the machine was.
environment_header() {
  echo "date:      $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
  echo "host:      $(uname -srm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "nightjar:  $("$NIGHTJAR" --version 2>&1 | head -1) (git $(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT_DIR" diff --quiet HEAD 2>/dev/null || echo '+dirty'), binary mtime $(stat -c %y "$NIGHTJAR_BUILT" | cut -d. -f1))"
  echo "load avg:  $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min; above ~0.5 on this machine means others are busy)"
}

# ---- nginx as the server under load (http1_vs_wrk.sh, http2_vs_h2load.sh, tls_vs_wrk.sh,
# server_vs_nginx.sh)

# nginx_start DIR LIMIT CPU LISTEN_PARAMS [SERVER_DIRECTIVES [BODY]]: starts nginx with one
# worker, pinned to CPU, for at most LIMIT seconds, config, logs and temp files all in DIR. Its
# server listens on 127.0.0.1:$NGINX_PORT with LISTEN_PARAMS (e.g. "http2", "ssl"; may be
# empty), has SERVER_DIRECTIVES (e.g. ssl_certificate ...;) and answers every request with 200
# and BODY (default "ok"); access log off, keepalive_requests 1000000 (which in nginx 1.19.7+
# also bounds requests per HTTP/2 connection). A second plain HTTP/1.1 server on
# 127.0.0.1:$NGINX_STATUS_PORT serves stub_status at /nginx_status (see nginx_requests),
# reachable whatever the main server speaks. Sets NGINX, NGINX_PORT, NGINX_STATUS_PORT,
# NGINX_PID (stopped by the EXIT trap). The ports are ones the kernel just handed out; another
# process could take one in between, so it retries with new ports until its own stub_status
# answers.
nginx_start() {
  local dir=$1 limit=$2 cpu=$3 params=$4 directives=${5:-} body=${6-ok} attempt
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)  # /usr/sbin is not on every PATH
  [ -x "$NGINX" ] || die "nginx not found (scripts/install-deps.sh --bench installs nginx-light)"
  mkdir -p "$dir"
  for attempt in 1 2 3 4 5; do
    NGINX_PORT=$(free_port)
    NGINX_STATUS_PORT=$(free_port)
    [ "$NGINX_PORT" != "$NGINX_STATUS_PORT" ] || continue
    cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/client_body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$NGINX_PORT $params;
    $directives
    location / { return 200 "$body"; }
  }
  server {
    listen 127.0.0.1:$NGINX_STATUS_PORT;
    location = /nginx_status { stub_status; }  # request count, to cross-check the tools
  }
}
CONF
    bg_start "$limit" "$dir/stdout.log" \
      taskset -c "$cpu" "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
    NGINX_PID=$BG_PID
    if wait_port "$NGINX_STATUS_PORT" 10 && kill -0 "$NGINX_PID" 2>/dev/null &&
      nginx_requests >/dev/null 2>&1; then
      return 0
    fi
    log "nginx did not come up on ports $NGINX_PORT/$NGINX_STATUS_PORT (attempt $attempt)"
    bench_stop "$NGINX_PID"
  done
  cat "$dir/stdout.log" "$dir/error.log" >&2 2>/dev/null || true
  die "nginx did not start (config: $dir/nginx.conf)"
}

# nginx_requests: how many requests the nginx of nginx_start has handled so far (its
# stub_status; each HTTP/2 stream counts as one request; this query counts too).
nginx_requests() {
  python3 - "$NGINX_STATUS_PORT" <<'PY'
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/nginx_status", timeout=5).read().decode()
if not text.startswith("Active connections"):
    sys.exit("not nginx's stub_status: " + text[:80])
print(text.splitlines()[2].split()[2])  # "server accepts handled requests" / " A H R"
PY
}

# nginx_bench_run DIR NAME TOOL ARG LIMIT: one timed_run of TOOL (the calling script's
# `command_for TOOL ARG` sets the array `cmd`), nginx's request count before and after in
# DIR/NAME.server. Dies, with nginx's error log, if nginx ($NGINX_PID, logs in $ngx) died.
# shellcheck disable=SC2154  # cmd and ngx are set by the calling script
nginx_bench_run() {
  local dir=$1 name=$2 tool=$3 arg=$4 limit=$5 before
  command_for "$tool" "$arg"
  before=$(nginx_requests)
  timed_run "$dir" "$name" "$limit" "${cmd[@]}"
  echo "$before $(nginx_requests)" >"$dir/$name.server"
  kill -0 "$NGINX_PID" 2>/dev/null || { cat "$ngx/error.log" >&2 2>/dev/null; die "nginx died during $name"; }
}

# nginx_check TOOL ARG LIMIT PEER IN_FLIGHT [EXPECTED]: one unrecorded nginx_bench_run of TOOL
# (which also warms nginx up) checked by `report.py cost-round` with the last arguments; on a
# problem prints that round's table to stderr and returns 1.
nginx_check() {
  local dir=$BENCH_TMP/check tool=$1 arg=$2 limit=$3
  shift 3
  mkdir -p "$dir"
  nginx_bench_run "$dir" "r00-1-$tool" "$tool" "$arg" "$limit"
  if ! python3 "$BENCH_DIR/report.py" cost-round "$dir" 0 "$@" >"$dir/$tool.report"; then
    cat "$dir/$tool.report" >&2
    return 1
  fi
  rm -f "$dir/r00-1-$tool".*
}

# nginx_rounds DIR ROUNDS ARG LIMIT TOOL...: ROUNDS rounds of nginx_bench_run, one run of
# each TOOL per round named rNN-O-TOOL (O: its place in the round); with two tools, which goes
# first alternates. After each round, `report_round ROUND` (the calling script's) checks it.
nginx_rounds() {
  local dir=$1 rounds=$2 arg=$3 limit=$4 round i order
  shift 4
  for ((round = 1; round <= rounds; round++)); do
    order=("$@")
    if (($# == 2 && round % 2 == 0)); then order=("$2" "$1"); fi
    for i in "${!order[@]}"; do
      nginx_bench_run "$dir" "r$(printf %02d "$round")-$((i + 1))-${order[i]}" "${order[i]}" "$arg" "$limit"
    done
    report_round "$round"
  done
}
