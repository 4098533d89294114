#!/usr/bin/env bash
# HTTP/2 cleartext (h2c, prior knowledge) closed-loop cost per request: nightjar against
# h2load, both loading the same nginx.
#
#   bench/http2_vs_h2load.sh
#   ROUNDS=7 REQUESTS=500000 CONNECTIONS=10 STREAMS=10 bench/http2_vs_h2load.sh
#
# nginx (one worker, `listen ... http2`, fixed 2-byte response, access log off) runs pinned
# to CPU $SERVER_CPU; each generator runs pinned to CPU $CLIENT_CPU under /usr/bin/time with
# the same connections and streams in flight per connection, for the same number of requests:
#   h2load -t 1 -c C -m M -n N URL
#   nightjar load h2c://... -t 1 -c C --max-concurrent-streams M -n N --rps 0 --output-format json
# The tools alternate (the one that goes first alternates too). For each run: requests
# completed, requests per second, and requests per generator CPU-second (completed / (user +
# system)). At the end: the median of each figure per tool and the ratio nightjar / h2load.
# Above 1 favours nightjar. Every run must get all N requests answered with a 2xx, and nginx
# must count as many; otherwise the script stops with exit status 1.
# The report is also written to bench/results/http2_vs_h2load-<date>.txt.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
REQUESTS=${REQUESTS:-250000}
CONNECTIONS=${CONNECTIONS:-10}
STREAMS=${STREAMS:-10}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
MIN_ROUNDS=5  # fewer rounds still run, but the summary says the figure is not one to quote

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$here/../scripts/install-deps.sh" --bench
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

for v in ROUNDS REQUESTS CONNECTIONS STREAMS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
((REQUESTS >= CONNECTIONS * STREAMS)) || die "REQUESTS ($REQUESTS) must be at least CONNECTIONS x STREAMS"
((STREAMS <= 128)) || die "STREAMS must be at most 128 (nginx's http2_max_concurrent_streams)"
command -v h2load >/dev/null || die "h2load not found (scripts/install-deps.sh --bench installs nghttp2-client)"
# Each run is bounded by its request count; a generator slower than 2,000 req/s (or stuck) is
# stopped after this many seconds.
run_limit=$((REQUESTS / 2000 + 30))

bench_init
NIGHTJAR=$BENCH_TMP/nightjar
snapshot_nightjar "$NIGHTJAR"
raw=$BENCH_TMP/runs
mkdir -p "$raw"

# ---- nginx, one worker, h2c only on the measured port (HTTP/1.1 stub_status on another)
server_limit=$(((run_limit + 10) * 2 * (ROUNDS + 1) + 120))
nginx_start "$BENCH_TMP/nginx" "$server_limit" "$SERVER_CPU" http2 "http2_max_concurrent_streams 128;"
ngx=$BENCH_TMP/nginx
URL=http://127.0.0.1:$NGINX_PORT/
NJ_URL=h2c://127.0.0.1:$NGINX_PORT/

# command_for TOOL N: the command line of one run of TOOL for N requests, in $cmd.
command_for() {
  case "$1" in
    h2load) cmd=(h2load -t 1 -c "$CONNECTIONS" -m "$STREAMS" -n "$2" "$URL") ;;
    nightjar) cmd=("$NIGHTJAR" load "$NJ_URL" -t 1 -c "$CONNECTIONS" --max-concurrent-streams "$STREAMS"
      -n "$2" --rps 0 --output-format json --no-progress) ;;
  esac
}

# Check before measuring that both tools speak h2c to this nginx and get every request
# answered; this also warms nginx up (not recorded).
check=$BENCH_TMP/check
mkdir -p "$check"
for tool in h2load nightjar; do
  nginx_bench_run "$check" "r00-1-$tool" "$tool" 20000 60
  if ! python3 "$here/report.py" cost-round "$check" 0 h2load 0 20000 >"$check/$tool.report"; then
    cat "$check/$tool.report" >&2
    die "$tool did not get 20,000 requests answered over h2c by nginx before the measurement; see above"
  fi
  rm -f "$check/r00-1-$tool".*
done

stamp=$(date +%Y%m%d-%H%M%S)
bench_tee "$RESULTS_DIR/http2_vs_h2load-$stamp.txt"

echo "# nightjar vs h2load, HTTP/2 cleartext (h2c, prior knowledge) closed loop against nginx"
environment_header
echo "h2load:    $(h2load --version 2>&1 | head -1)"
echo "nginx:     $("$NGINX" -v 2>&1 | sed 's/.*: //'), 1 worker, 'listen ... http2' (h2c), pinned to CPU $SERVER_CPU"
echo "setup:     $ROUNDS rounds x $REQUESTS requests, $CONNECTIONS connections x $STREAMS streams, 1 thread,"
echo "           generators pinned to CPU $CLIENT_CPU"
echo "commands:  taskset -c $CLIENT_CPU h2load -t 1 -c $CONNECTIONS -m $STREAMS -n $REQUESTS $URL"
echo "           taskset -c $CLIENT_CPU nightjar load $NJ_URL -t 1 -c $CONNECTIONS --max-concurrent-streams $STREAMS -n $REQUESTS --rps 0 --output-format json --no-progress"
echo

for ((round = 1; round <= ROUNDS; round++)); do
  if ((round % 2)); then order=(h2load nightjar); else order=(nightjar h2load); fi
  nginx_bench_run "$raw" "r$(printf %02d "$round")-1-${order[0]}" "${order[0]}" "$REQUESTS" "$run_limit"
  nginx_bench_run "$raw" "r$(printf %02d "$round")-2-${order[1]}" "${order[1]}" "$REQUESTS" "$run_limit"
  # Count-bounded runs end with nothing in flight: nginx must have seen exactly N requests.
  python3 "$here/report.py" cost-round "$raw" "$round" h2load 0 "$REQUESTS" ||
    die "round $round: a tool did not get every request answered (see '!' above); no figure"
done

python3 "$here/report.py" cost-summary "$raw" h2load "$MIN_ROUNDS"
echo
echo "load avg at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -s "$ngx/error.log" ]; then
  echo "nginx error log:"
  sed 's/^/  /' "$ngx/error.log" | tail -20
fi
BENCH_DONE=1
echo "saved to ${RESULTS_DIR#"$ROOT_DIR"/}/http2_vs_h2load-$stamp.txt"
