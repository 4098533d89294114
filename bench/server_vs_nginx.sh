#!/usr/bin/env bash
# Throughput of `nightjar serve` against nginx, both serving an empty 200 over HTTP/1.1
# keep-alive on loopback, driven by wrk. Each server is pinned to one core and wrk to the
# other; runs alternate (nightjar, nginx, nightjar, ...) and the medians are compared, since
# on a shared machine only ratios taken in one run hold.
#
# Needs: nginx (Debian nginx-light), wrk, python3, taskset, and a built nightjar
# (build/nightjar, or set NIGHTJAR=path).
#
# Usage: bench/server_vs_nginx.sh
# Environment: NIGHTJAR (build/nightjar), ROUNDS (5), DURATION (5s), CONNECTIONS (50),
#              SERVER_CPU (1), CLIENT_CPU (0).
set -euo pipefail

cd "$(dirname "$0")/.."
NIGHTJAR=${NIGHTJAR:-build/nightjar}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-50}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}

die() { echo "server_vs_nginx: $*" >&2; exit 1; }

NGINX=$(command -v nginx || true)
[[ -z $NGINX && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
[[ -n $NGINX ]] || die "nginx not found (apt-get install nginx-light)"
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v python3 >/dev/null || die "python3 not found"
command -v taskset >/dev/null || die "taskset not found (util-linux)"
[[ -x $NIGHTJAR ]] || die "$NIGHTJAR not found: build it first (or set NIGHTJAR=path)"

work_dir=$(mktemp -d -t nightjar-bench.XXXXXX)
nginx_pid=""
nightjar_pid=""

cleanup() {
  local pid
  for pid in "$nightjar_pid" "$nginx_pid"; do
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      # Give it a moment to exit cleanly, then insist.
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until something accepts connections on 127.0.0.1:$1 (up to 10 s).
wait_for_port() {
  python3 - "$1" <<'EOF'
import socket, sys, time
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# nginx cannot be asked for port 0 and report it, so take a port the kernel just handed out;
# another process could grab it in between, so check that nginx came up and retry if not.
start_nginx() {
  local attempt port
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    mkdir -p "$work_dir/nginx"
    cat >"$work_dir/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work_dir/nginx/nginx.pid;
error_log $work_dir/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  client_body_temp_path $work_dir/nginx/body;
  proxy_temp_path $work_dir/nginx/proxy;
  fastcgi_temp_path $work_dir/nginx/fastcgi;
  uwsgi_temp_path $work_dir/nginx/uwsgi;
  scgi_temp_path $work_dir/nginx/scgi;
  server {
    listen 127.0.0.1:$port;
    location / { return 200 ""; }
  }
}
EOF
    taskset -c "$SERVER_CPU" "$NGINX" -p "$work_dir/nginx" -c "$work_dir/nginx/nginx.conf" \
      >"$work_dir/nginx/stdout.log" 2>&1 &
    nginx_pid=$!
    if wait_for_port "$port" && kill -0 "$nginx_pid" 2>/dev/null; then
      nginx_port=$port
      return 0
    fi
    kill -KILL "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=""
  done
  cat "$work_dir/nginx/error.log" "$work_dir/nginx/stdout.log" >&2 2>/dev/null || true
  die "nginx did not start"
}

start_nightjar() {
  local out=$work_dir/nightjar.out line=""
  taskset -c "$SERVER_CPU" "$NIGHTJAR" serve --listen 127.0.0.1:0 >"$out" 2>&1 &
  nightjar_pid=$!
  for _ in $(seq 100); do
    line=$(head -n 1 "$out" 2>/dev/null || true)
    [[ $line == "listening on "* ]] && break
    kill -0 "$nightjar_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ $line =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+)$ ]] || {
    cat "$out" >&2
    die "nightjar serve did not print 'listening on 127.0.0.1:PORT'"
  }
  nightjar_port=${BASH_REMATCH[1]}
  wait_for_port "$nightjar_port" || die "nightjar serve is not accepting on $nightjar_port"
}

# Prints the requests/s wrk measured against 127.0.0.1:$1.
run_wrk() {
  local output rate
  output=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "http://127.0.0.1:$1/")
  if grep -q "Non-2xx\|Socket errors" <<<"$output"; then
    echo "$output" >&2
    die "wrk saw errors against port $1"
  fi
  rate=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$output")
  [[ -n $rate ]] || { echo "$output" >&2; die "no Requests/sec in wrk's output"; }
  echo "$rate"
}

median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

start_nginx
start_nightjar
echo "nginx on 127.0.0.1:$nginx_port, nightjar serve on 127.0.0.1:$nightjar_port" \
  "(servers on CPU $SERVER_CPU, wrk -t1 -c$CONNECTIONS -d$DURATION on CPU $CLIENT_CPU)"

nginx_rates=()
nightjar_rates=()
for round in $(seq "$ROUNDS"); do
  nightjar_rates+=("$(run_wrk "$nightjar_port")")
  nginx_rates+=("$(run_wrk "$nginx_port")")
  echo "round $round: nightjar ${nightjar_rates[-1]} req/s, nginx ${nginx_rates[-1]} req/s"
done

nightjar_median=$(median "${nightjar_rates[@]}")
nginx_median=$(median "${nginx_rates[@]}")
echo "median requests/s: nightjar $nightjar_median, nginx $nginx_median"
awk -v a="$nightjar_median" -v b="$nginx_median" \
  'BEGIN { printf "ratio nightjar/nginx: %.3f\n", a / b }'
