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
MIN_ROUNDS=5  # fewer rounds still run, but the summary says the figure is not one to quote

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT_DIR/scripts/install-deps.sh" --bench

require_positive_int ROUNDS REQUESTS CONNECTIONS STREAMS
((REQUESTS >= CONNECTIONS * STREAMS)) || die "REQUESTS ($REQUESTS) must be at least CONNECTIONS x STREAMS"
((STREAMS <= 128)) || die "STREAMS must be at most 128 (nginx's http2_max_concurrent_streams)"
command -v h2load >/dev/null || die "h2load not found (scripts/install-deps.sh --bench installs nghttp2-client)"
# Each run is bounded by its request count; a generator slower than 2,000 req/s (or stuck) is
# stopped after this many seconds.
run_limit=$((REQUESTS / 2000 + 30))

bench_init

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
for tool in h2load nightjar; do
  nginx_check "$tool" 20000 60 h2load 0 20000 ||
    die "$tool did not get 20,000 requests answered over h2c by nginx before the measurement; see above"
done

bench_tee http2_vs_h2load
echo "# nightjar vs h2load, HTTP/2 cleartext (h2c, prior knowledge) closed loop against nginx"
environment_header
echo "h2load:    $(h2load --version 2>&1 | head -1)"
echo "nginx:     $("$NGINX" -v 2>&1 | sed 's/.*: //'), 1 worker, 'listen ... http2' (h2c), pinned to CPU $SERVER_CPU"
echo "setup:     $ROUNDS rounds x $REQUESTS requests, $CONNECTIONS connections x $STREAMS streams, 1 thread,"
echo "           generators pinned to CPU $CLIENT_CPU"
echo "commands:  taskset -c $CLIENT_CPU h2load -t 1 -c $CONNECTIONS -m $STREAMS -n $REQUESTS $URL"
echo "           taskset -c $CLIENT_CPU nightjar load $NJ_URL -t 1 -c $CONNECTIONS --max-concurrent-streams $STREAMS -n $REQUESTS --rps 0 --output-format json --no-progress"
echo

# report_round ROUND: its table. Count-bounded runs end with nothing in flight: nginx must have
# seen exactly N requests.
report_round() {
  python3 "$BENCH_DIR/report.py" cost-round "$RAW_DIR" "$1" h2load 0 "$REQUESTS" ||
    die "round $1: a tool did not get every request answered (see '!' above); no figure"
}
nginx_rounds "$RAW_DIR" "$ROUNDS" "$REQUESTS" "$run_limit" h2load nightjar

python3 "$BENCH_DIR/report.py" cost-summary "$RAW_DIR" h2load "$MIN_ROUNDS"
bench_footer "$ngx"
