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

SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
RATE=500
DURATION=10s
CONNECTIONS=50
STALL_AFTER=2s
STALL_FOR=1s

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$here/../scripts/install-deps.sh" --bench
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

bench_init
NIGHTJAR=$BENCH_TMP/nightjar
snapshot_nightjar "$NIGHTJAR"
raw=$BENCH_TMP/runs
mkdir -p "$raw"

# start_server NAME: a fresh stalling test server; sets SERVER_PID and URL.
start_server() {
  local out=$raw/$1.server i port=
  bg_start 120 "$out" taskset -c "$SERVER_CPU" "$NIGHTJAR" serve --listen 127.0.0.1:0 \
    --stall-after "$STALL_AFTER" --stall-for "$STALL_FOR"
  SERVER_PID=$BG_PID
  for ((i = 0; i < 100; i++)); do
    port=$(sed -n '1s/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$out")
    [ -n "$port" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$out" >&2; die "nightjar serve did not print 'listening on 127.0.0.1:PORT'"; }
  URL=http://127.0.0.1:$port/
}

# run_tool TOOL: fresh server, one 10 s run; raw output in $raw/TOOL.{out,time,rc}.
run_tool() {
  local tool=$1 cmd rc=0
  start_server "$tool"
  case "$tool" in
    nightjar) cmd=("$NIGHTJAR" load "$URL" --rps "$RATE" -d "$DURATION" -c "$CONNECTIONS" -t 1
      --output-format json --no-progress) ;;
    wrk) cmd=(wrk -t1 "-c$CONNECTIONS" "-d$DURATION" --latency "$URL") ;;
    hey) cmd=(hey -z "$DURATION" -q $((RATE / CONNECTIONS)) -c "$CONNECTIONS" "$URL") ;;
  esac
  echo "  $tool: ${cmd[*]/#$NIGHTJAR/nightjar}" >&2
  bg_start 60 "$raw/$tool.out" \
    /usr/bin/time -f '%U %S' -o "$raw/$tool.time" taskset -c "$CLIENT_CPU" "${cmd[@]}"
  bg_wait "$BG_PID" || rc=$?
  echo "$rc" >"$raw/$tool.rc"
  bench_stop "$SERVER_PID"
}

stamp=$(date +%Y%m%d-%H%M%S)
bench_tee "$RESULTS_DIR/accuracy_stall-$stamp.txt"

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
python3 "$here/report.py" stall "$raw" || rc=$?
BENCH_DONE=1  # a FAIL exits 1, but the report is complete
echo
echo "load avg at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "saved to ${RESULTS_DIR#"$ROOT_DIR"/}/accuracy_stall-$stamp.txt"
exit "$rc"
