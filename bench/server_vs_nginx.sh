#!/usr/bin/env bash
# Throughput of the test server (`nightjar serve`) against nginx: both answer an empty 200 over
# HTTP/1.1 keep-alive on loopback, both are loaded by the same wrk.
#
#   bench/server_vs_nginx.sh
#   ROUNDS=7 DURATION=10s CONNECTIONS=50 bench/server_vs_nginx.sh
#
# nginx (one worker, `return 200 ""`, access log off, keepalive_requests 1000000) and
# `nightjar serve --listen 127.0.0.1:0` (one thread; its port read from its first line,
# "listening on 127.0.0.1:PORT") both run pinned to CPU $SERVER_CPU, and
# `wrk -t1 -c$CONNECTIONS -d$DURATION` runs pinned to CPU $CLIENT_CPU against each in turn
# (which server goes first alternates by round). Per run: requests/s, and requests per
# CPU-second the server spent (utime + stime of its processes, from /proc), since on two
# cores wrk rather than the server may set the rate. At the end: the median of each figure
# per server and the ratio nightjar / nginx. Above 1 favours nightjar.
# The report is also written to bench/results/server_vs_nginx-<date>.txt.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-50}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT_DIR/scripts/install-deps.sh" --bench

require_positive_int ROUNDS CONNECTIONS
# The servers live for the whole script; this only bounds them if the script itself is killed.
server_limit=$((($(duration_seconds "$DURATION") + 5) * (ROUNDS + 1) * 2 + 120))

bench_init
CLK_TCK=$(getconf CLK_TCK)

# ---- nginx answering an empty 200 (stub_status on another port, not measured), and
# nightjar serve on a port of its own choosing, both on SERVER_CPU.
nginx_start "$BENCH_TMP/nginx" "$server_limit" "$SERVER_CPU" "" "" ""
ngx=$BENCH_TMP/nginx
start_nightjar() {
  local out=$BENCH_TMP/nightjar-serve.log
  bg_start "$server_limit" "$out" taskset -c "$SERVER_CPU" "$NIGHTJAR" serve --listen 127.0.0.1:0
  NIGHTJAR_PID=$BG_PID
  nightjar_listening "$out" "$NIGHTJAR_PID"
  NIGHTJAR_PORT=$LISTEN_PORT
  wait_port "$NIGHTJAR_PORT" 10 || die "nightjar serve does not accept on port $NIGHTJAR_PORT"
}

# CPU clock ticks used so far by process $1 and all its descendants (the `timeout` and
# `taskset` wrappers exec or idle; nginx's worker is a grandchild).
cpu_ticks() {
  local total=0 pid ticks
  for pid in $(descendants "$1"); do
    ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
    total=$((total + ticks))
  done
  echo "$total"
}
descendants() {
  local child
  echo "$1"
  for child in $(pgrep -P "$1" || true); do descendants "$child"; done
}

# run_wrk PORT SERVER_PID: prints "requests/s requests-per-server-CPU-second".
run_wrk() {
  local output rate requests before after
  before=$(cpu_ticks "$2")
  output=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "http://127.0.0.1:$1/")
  after=$(cpu_ticks "$2")
  if grep -q "Non-2xx\|Socket errors" <<<"$output"; then
    echo "$output" >&2
    die "wrk saw errors against port $1"
  fi
  rate=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$output")
  requests=$(awk '/ requests in / { print $1 }' <<<"$output")
  [[ -n $rate && -n $requests ]] || { echo "$output" >&2; die "unexpected wrk output"; }
  awk -v rate="$rate" -v n="$requests" -v ticks=$((after - before)) -v hz="$CLK_TCK" \
    'BEGIN { printf "%s %.0f\n", rate, (ticks > 0 ? n / (ticks / hz) : 0) }'
}

median() {
  printf '%s\n' "$@" | sort -g |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }

start_nightjar

bench_tee server_vs_nginx
echo "# server_vs_nginx: nightjar serve vs nginx, both driven by wrk"
environment_header
echo "servers:   nginx $("$NGINX" -v 2>&1 | sed 's/.*: //') on 127.0.0.1:$NGINX_PORT," \
  "nightjar serve on 127.0.0.1:$NIGHTJAR_PORT, both on CPU $SERVER_CPU"
echo "load:      wrk -t1 -c$CONNECTIONS -d$DURATION on CPU $CLIENT_CPU, $ROUNDS rounds"
echo

# Warm both up (not recorded).
DURATION=1s run_wrk "$NIGHTJAR_PORT" "$NIGHTJAR_PID" >/dev/null
DURATION=1s run_wrk "$NGINX_PORT" "$NGINX_PID" >/dev/null

nightjar_rates=() nightjar_per_cpu=() nginx_rates=() nginx_per_cpu=()
measure_nightjar() {
  local result rate per_cpu
  result=$(run_wrk "$NIGHTJAR_PORT" "$NIGHTJAR_PID")
  read -r rate per_cpu <<<"$result"
  nightjar_rates+=("$rate") nightjar_per_cpu+=("$per_cpu")
}
measure_nginx() {
  local result rate per_cpu
  result=$(run_wrk "$NGINX_PORT" "$NGINX_PID")
  read -r rate per_cpu <<<"$result"
  nginx_rates+=("$rate") nginx_per_cpu+=("$per_cpu")
}
printf '%-6s %14s %18s %14s %18s\n' round "nightjar rps" "nightjar rps/cpu" "nginx rps" "nginx rps/cpu"
for ((round = 1; round <= ROUNDS; round++)); do
  if ((round % 2)); then measure_nightjar; measure_nginx; else measure_nginx; measure_nightjar; fi
  printf '%-6s %14s %18s %14s %18s\n' "$round" "${nightjar_rates[-1]}" "${nightjar_per_cpu[-1]}" \
    "${nginx_rates[-1]}" "${nginx_per_cpu[-1]}"
done

nightjar_rps=$(median "${nightjar_rates[@]}")
nginx_rps=$(median "${nginx_rates[@]}")
nightjar_cpu=$(median "${nightjar_per_cpu[@]}")
nginx_cpu=$(median "${nginx_per_cpu[@]}")
echo
echo "median requests/s:                 nightjar $nightjar_rps, nginx $nginx_rps," \
  "nightjar/nginx $(ratio "$nightjar_rps" "$nginx_rps")"
echo "median requests per server CPU-s:  nightjar $nightjar_cpu, nginx $nginx_cpu," \
  "nightjar/nginx $(ratio "$nightjar_cpu" "$nginx_cpu")"
bench_footer "$ngx"
