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
# A run with errors, or a count nginx disagrees with, stops the script with exit status 1.
# The report is also written to bench/results/http1_vs_wrk-<date>.txt.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-50}
MIN_ROUNDS=5  # fewer rounds still run, but the summary says the figure is not one to quote

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT_DIR/scripts/install-deps.sh" --bench

require_positive_int ROUNDS CONNECTIONS
run_limit=$(($(duration_seconds "$DURATION") * 3 + 30))  # a generator that overruns this much is stopped

bench_init

# ---- nginx, one worker, HTTP/1.1 on the measured port (stub_status on another)
server_limit=$(((run_limit + 10) * 2 * (ROUNDS + 1) + 120))
nginx_start "$BENCH_TMP/nginx" "$server_limit" "$SERVER_CPU" ""
ngx=$BENCH_TMP/nginx
URL=http://127.0.0.1:$NGINX_PORT/

# command_for TOOL DURATION: the command line of one run of TOOL, in $cmd.
command_for() {
  case "$1" in
    wrk) cmd=(wrk -t1 "-c$CONNECTIONS" "-d$2" "$URL") ;;
    nightjar) cmd=("$NIGHTJAR" load "$URL" -c "$CONNECTIONS" -t 1 -d "$2" --rps 0
      --output-format json --no-progress) ;;
  esac
}

# Check that both tools get their requests answered; this also warms nginx up (not recorded),
# so round 1 does not pay for its first connections.
for tool in wrk nightjar; do
  nginx_check "$tool" 1s 30 wrk "$CONNECTIONS" || die "$tool could not load $URL; see above"
done

bench_tee http1_vs_wrk
echo "# nightjar vs wrk, HTTP/1.1 closed loop against nginx"
environment_header
echo "wrk:       $(wrk -v 2>&1 | head -1)"
echo "nginx:     $("$NGINX" -v 2>&1 | sed 's/.*: //'), 1 worker, pinned to CPU $SERVER_CPU"
echo "setup:     $ROUNDS rounds x $DURATION, $CONNECTIONS connections, 1 thread, generators pinned to CPU $CLIENT_CPU"
echo "commands:  taskset -c $CLIENT_CPU wrk -t1 -c$CONNECTIONS -d$DURATION $URL"
echo "           taskset -c $CLIENT_CPU nightjar load $URL -c $CONNECTIONS -t 1 -d $DURATION --rps 0 --output-format json --no-progress"
echo

# report_round ROUND: its table; duration-bounded runs may stop with one request in flight per
# connection.
report_round() {
  python3 "$BENCH_DIR/report.py" cost-round "$RAW_DIR" "$1" wrk "$CONNECTIONS" ||
    die "round $1: a tool did not get every request answered (see '!' above); no figure"
}
nginx_rounds "$RAW_DIR" "$ROUNDS" "$DURATION" "$run_limit" wrk nightjar

python3 "$BENCH_DIR/report.py" cost-summary "$RAW_DIR" wrk "$MIN_ROUNDS"
bench_footer "$ngx"
