#!/usr/bin/env bash
# Coordinated-omission check (docs: /work/shared/MEASURING.md, "Truth of the numbers").
#
#   bench/accuracy_stall.sh
#
# For each tool a fresh `nightjar serve --stall-after 2s --stall-for 1s` (pinned to CPU
# $SERVER_CPU) freezes every response for 1 s, starting 2 s after the tool's first request.
# The tool (pinned to CPU $CLIENT_CPU) runs 10 s at 500 req/s. Of the 5,000 requests an
# open-loop schedule intends, 500 fall in the freeze and wait until its end, so the truth
# is: the top 10% of latencies spread evenly over (0, 1 s]: p95 ~ 0.5 s, p99 ~ 0.9 s.
#   nightjar  --rps 500 -d 10s -c 50     times from the intended start: must show the truth
#   wrk       -t1 -c50 -d10s --latency   closed loop (Debian's wrk 4.1 has no rate option)
#   hey       -z 10s -q 10 -c 50         50 workers x 10 req/s; times from the actual send
# Prints the percentiles each tool reports, PASS/FAIL for nightjar's p99 (0.75..1.05 s), and
# saves the report to bench/results/accuracy_stall-<date>.txt. Exit status 1 on FAIL.
set -euo pipefail

RATE=500
DURATION=10s
CONNECTIONS=50
STALL_AFTER=2s
STALL_FOR=1s

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT_DIR/scripts/install-deps.sh" --bench

bench_init

# start_server NAME: a fresh stalling test server; sets SERVER_PID and URL.
start_server() {
  bg_start 120 "$RAW_DIR/$1.server" taskset -c "$SERVER_CPU" "$NIGHTJAR" serve --listen 127.0.0.1:0 \
    --stall-after "$STALL_AFTER" --stall-for "$STALL_FOR"
  SERVER_PID=$BG_PID
  nightjar_listening "$RAW_DIR/$1.server" "$SERVER_PID"
  URL=http://$LISTEN_ADDR/
}

# run_tool TOOL: fresh server, one 10 s run; raw output in $RAW_DIR/TOOL.{out,time,rc}.
run_tool() {
  local tool=$1 cmd
  start_server "$tool"
  case "$tool" in
    nightjar) cmd=("$NIGHTJAR" load "$URL" --rps "$RATE" -d "$DURATION" -c "$CONNECTIONS" -t 1
      --output-format json --no-progress) ;;
    wrk) cmd=(wrk -t1 "-c$CONNECTIONS" "-d$DURATION" --latency "$URL") ;;
    hey) cmd=(hey -z "$DURATION" -q $((RATE / CONNECTIONS)) -c "$CONNECTIONS" "$URL") ;;
  esac
  echo "  $tool: ${cmd[*]/#$NIGHTJAR/nightjar}" >&2
  timed_run "$RAW_DIR" "$tool" 60 "${cmd[@]}"
  bench_stop "$SERVER_PID"
}

bench_tee accuracy_stall

echo "# Coordinated omission: a server that freezes ${STALL_FOR} of a ${DURATION} run at ${RATE} req/s"
environment_header
echo "wrk:       $(wrk -v 2>&1 | head -1)"
echo "hey:       $(dpkg-query -W -f='${Version}' hey 2>/dev/null || echo '?') (Debian package version)"
echo "setup:     fresh 'nightjar serve --stall-after $STALL_AFTER --stall-for $STALL_FOR' per tool, pinned to CPU $SERVER_CPU;"
echo "           tools pinned to CPU $CLIENT_CPU, $CONNECTIONS connections, $DURATION"
echo

echo "running (about 35 s)..." >&2
for tool in nightjar wrk hey; do run_tool "$tool"; done

rc=0
python3 "$BENCH_DIR/report.py" stall "$RAW_DIR" || rc=$?
bench_footer  # a FAIL exits 1, but the report is complete
exit "$rc"
