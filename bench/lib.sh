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

BENCH_PIDS=()
BENCH_TMP=
BENCH_TEE_PID=

log() { echo "$*" >&2; }
die() { echo "${0##*/}: $*" >&2; exit 1; }

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

# bench_init: scratch dir in $BENCH_TMP, cleanup traps.
bench_init() {
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/nightjar-bench.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# bench_tee FILE: from now on, standard output also goes to FILE.
bench_tee() {
  mkdir -p "$(dirname "$1")"
  exec 3>&1
  exec 1> >(tee "$1")
  BENCH_TEE_PID=$!
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

# ---- nginx as the server under load (http2_vs_h2load.sh, tls_vs_wrk.sh)

# nginx_start DIR LIMIT CPU LISTEN_PARAMS [SERVER_DIRECTIVES]: starts nginx with one worker,
# pinned to CPU, for at most LIMIT seconds, config, logs and temp files all in DIR. Its server
# listens on 127.0.0.1:$NGINX_PORT with LISTEN_PARAMS (e.g. "http2", "ssl"; may be empty),
# has SERVER_DIRECTIVES (e.g. ssl_certificate ...;) and answers every request with 200 "ok"
# (access log off, keepalive_requests 1000000, which in nginx 1.19.7+ also bounds requests
# per HTTP/2 connection). A second plain HTTP/1.1 server on 127.0.0.1:$NGINX_STATUS_PORT
# serves stub_status at /nginx_status (see nginx_requests), reachable whatever the main
# server speaks. Sets NGINX, NGINX_PORT, NGINX_STATUS_PORT, NGINX_PID (stopped by the EXIT
# trap). The ports are ones the kernel just handed out; another process could take one in
# between, so it retries with new ports until its own stub_status answers.
nginx_start() {
  local dir=$1 limit=$2 cpu=$3 params=$4 directives=${5:-} attempt
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
    location / { return 200 "ok"; }
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

# nginx_bench_run DIR NAME TOOL ARG LIMIT: one run of TOOL (the calling script's
# `command_for TOOL ARG` sets the array `cmd`) on CLIENT_CPU, stopped after LIMIT seconds;
# raw output in DIR/NAME.{out,time,rc}, nginx's request count before and after in
# DIR/NAME.server. Dies, with nginx's error log, if nginx ($NGINX_PID, logs in $ngx) died.
# shellcheck disable=SC2154  # cmd and ngx are set by the calling script
nginx_bench_run() {
  local dir=$1 name=$2 tool=$3 arg=$4 limit=$5 rc=0 before
  command_for "$tool" "$arg"
  before=$(nginx_requests)
  bg_start "$limit" "$dir/$name.out" \
    /usr/bin/time -f '%U %S' -o "$dir/$name.time" taskset -c "$CLIENT_CPU" "${cmd[@]}"
  bg_wait "$BG_PID" || rc=$?
  echo "$rc" >"$dir/$name.rc"
  echo "$before $(nginx_requests)" >"$dir/$name.server"
  kill -0 "$NGINX_PID" 2>/dev/null || { cat "$ngx/error.log" >&2 2>/dev/null; die "nginx died during $name"; }
}
