#!/usr/bin/env bash
# HTTP/1.1 closed-loop cost per request: nightjar against wrk, both loading the same nginx.
#
#   bench/http1_vs_wrk.sh            (or: make bench)
#   ROUNDS=7 DURATION=10s CONNECTIONS=50 bench/http1_vs_wrk.sh
#
# nginx (one worker, fixed 2-byte response, access log off) runs pinned to CPU $SERVER_CPU;
# each generator runs pinned to CPU $CLIENT_CPU under /usr/bin/time. The tools alternate
# (the one that goes first alternates too). For each run: requests completed, requests per
# second, and requests per generator CPU-second (completed / (user + system)). At the end:
# the median of each figure per tool and the ratio nightjar / wrk. Above 1 favours nightjar.
# The report is also written to bench/results/http1_vs_wrk-<date>.txt.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-50}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$here/../scripts/install-deps.sh" --bench
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, not '$ROUNDS'"
[[ $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS must be a positive integer, not '$CONNECTIONS'"
run_s=$(duration_seconds "$DURATION")
run_limit=$((run_s * 3 + 30))  # a generator that overruns this much is stopped

NGINX=$(command -v nginx || echo /usr/sbin/nginx)  # /usr/sbin is not on every PATH
[ -x "$NGINX" ] || die "nginx not found (scripts/install-deps.sh --bench installs nginx-light)"

bench_init
NIGHTJAR=$BENCH_TMP/nightjar
snapshot_nightjar "$NIGHTJAR"
raw=$BENCH_TMP/runs
mkdir -p "$raw"

# ---- nginx, one worker, everything it writes inside the scratch dir
ngx=$BENCH_TMP/nginx
mkdir -p "$ngx"
PORT=$(free_port)
cat >"$ngx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $ngx/client_body;
  proxy_temp_path $ngx/proxy;
  fastcgi_temp_path $ngx/fastcgi;
  uwsgi_temp_path $ngx/uwsgi;
  scgi_temp_path $ngx/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  server {
    listen 127.0.0.1:$PORT;
    location = /nginx_status { stub_status; }  # request count, to cross-check the tools
    location / { return 200 "ok"; }
  }
}
EOF
server_limit=$(((run_limit + 5) * 2 * (ROUNDS + 1) + 60))
bg_start "$server_limit" "$ngx/stdout.log" \
  taskset -c "$SERVER_CPU" "$NGINX" -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log"
NGINX_PID=$BG_PID
if ! wait_port "$PORT" 10; then
  cat "$ngx/stdout.log" "$ngx/error.log" >&2 2>/dev/null || true
  die "nginx did not start on 127.0.0.1:$PORT"
fi
URL=http://127.0.0.1:$PORT/

stamp=$(date +%Y%m%d-%H%M%S)
bench_tee "$RESULTS_DIR/http1_vs_wrk-$stamp.txt"

echo "# nightjar vs wrk, HTTP/1.1 closed loop against nginx"
environment_header
echo "wrk:       $(wrk -v 2>&1 | head -1)"
echo "nginx:     $("$NGINX" -v 2>&1), 1 worker, pinned to CPU $SERVER_CPU"
echo "setup:     $ROUNDS rounds x $DURATION, $CONNECTIONS connections, 1 thread, generators pinned to CPU $CLIENT_CPU"
echo "commands:  taskset -c $CLIENT_CPU wrk -t1 -c$CONNECTIONS -d$DURATION $URL"
echo "           taskset -c $CLIENT_CPU nightjar load $URL -c $CONNECTIONS -t 1 -d $DURATION --rps 0 --output-format json --no-progress"
echo

# nginx_requests: how many requests nginx has handled so far (stub_status).
nginx_requests() {
  python3 - "$PORT" <<'EOF'
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/nginx_status", timeout=5).read().decode()
print(text.splitlines()[2].split()[2])  # "server accepts handled requests" / " A H R"
EOF
}

# run_tool NAME TOOL: one measured run, raw output in $raw/NAME.{out,time,rc}; nginx's
# request count before and after in $raw/NAME.server.
run_tool() {
  local name=$1 tool=$2 cmd rc=0 before
  case "$tool" in
    wrk) cmd=(wrk -t1 "-c$CONNECTIONS" "-d$DURATION" "$URL") ;;
    nightjar) cmd=("$NIGHTJAR" load "$URL" -c "$CONNECTIONS" -t 1 -d "$DURATION" --rps 0
      --output-format json --no-progress) ;;
  esac
  before=$(nginx_requests)
  bg_start "$run_limit" "$raw/$name.out" \
    /usr/bin/time -f '%U %S' -o "$raw/$name.time" taskset -c "$CLIENT_CPU" "${cmd[@]}"
  bg_wait "$BG_PID" || rc=$?
  echo "$rc" >"$raw/$name.rc"
  echo "$before $(nginx_requests)" >"$raw/$name.server"
  kill -0 "$NGINX_PID" 2>/dev/null || die "nginx died during $name; see its log above"
}

# Warm nginx up (not recorded), so round 1 does not pay for its first connections.
bg_start 30 "$BENCH_TMP/warmup.out" taskset -c "$CLIENT_CPU" wrk -t1 "-c$CONNECTIONS" -d1s "$URL"
bg_wait "$BG_PID" || true

for ((round = 1; round <= ROUNDS; round++)); do
  if ((round % 2)); then order=(wrk nightjar); else order=(nightjar wrk); fi
  run_tool "r$(printf %02d "$round")-1-${order[0]}" "${order[0]}"
  run_tool "r$(printf %02d "$round")-2-${order[1]}" "${order[1]}"
  python3 "$here/report.py" http1-round "$raw" "$round" "$CONNECTIONS"
done

python3 "$here/report.py" http1-summary "$raw"
echo
echo "load avg at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -s "$ngx/error.log" ]; then
  echo "nginx error log:"
  sed 's/^/  /' "$ngx/error.log" | tail -20
fi
echo "saved to ${RESULTS_DIR#"$ROOT_DIR"/}/http1_vs_wrk-$stamp.txt"
