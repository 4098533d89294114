#!/usr/bin/env bash
# The cost of distribution: the same total rate run once locally and once over two
# `nightjar worker`s on this machine, achieved rate and p99 side by side, plus the bytes each
# worker streamed back to the controller per second (interval histograms and the final result).
#
#   bench/distributed_overhead.sh            RATE=2000 DURATION=10s CONNECTIONS=20 ROUNDS=3
#
# The server (`nightjar serve`) runs on CPU 1, the generator side (local run, or controller and
# both workers) on CPU 0. Loopback only; every process is stopped on exit.
set -euo pipefail

RATE=${RATE:-2000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-20}
ROUNDS=${ROUNDS:-3}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT_DIR/scripts/install-deps.sh" --bench

bench_init
limit=$(($(duration_seconds "$DURATION") + 60))

# start NAME CPU ARGS...: a nightjar process that prints "listening on ADDR"; sets ADDR.
start() {
  local out=$RAW_DIR/$1.out cpu=$2
  shift 2
  bg_start $((limit * ROUNDS * 2 + 60)) "$out" taskset -c "$cpu" "$NIGHTJAR" "$@"
  nightjar_listening "$out" "$BG_PID"
  ADDR=$LISTEN_ADDR
}

start server "$SERVER_CPU" serve --listen 127.0.0.1:0
URL=http://$ADDR/
start worker-a "$CLIENT_CPU" worker --listen 127.0.0.1:0
WORKER_A=$ADDR
start worker-b "$CLIENT_CPU" worker --listen 127.0.0.1:0
WORKER_B=$ADDR

bench_tee distributed_overhead
echo "# Distribution overhead: ${RATE} req/s for ${DURATION} over ${CONNECTIONS} connections"
environment_header
echo "server:    nightjar serve on CPU $SERVER_CPU; generator side on CPU $CLIENT_CPU"
echo

for ((round = 1; round <= ROUNDS; round++)); do
  timeout "$limit" taskset -c "$CLIENT_CPU" "$NIGHTJAR" load "$URL" --rps "$RATE" -d "$DURATION" \
    -c "$CONNECTIONS" --output-format json --no-progress >"$RAW_DIR/local-$round.json"
  timeout "$limit" taskset -c "$CLIENT_CPU" "$NIGHTJAR" load "$URL" --rps "$RATE" -d "$DURATION" \
    -c "$CONNECTIONS" --workers "$WORKER_A,$WORKER_B" --output-format json --no-progress \
    >"$RAW_DIR/distributed-$round.json"
done

python3 - "$RAW_DIR" "$ROUNDS" <<'PY'
import json, statistics, sys
raw, rounds = sys.argv[1], int(sys.argv[2])
def load(kind):
    return [json.load(open(f"{raw}/{kind}-{i}.json")) for i in range(1, rounds + 1)]
local, dist = load("local"), load("distributed")
def ms(ns): return f"{ns / 1e6:.3f} ms"
print(f"  {'run':<14}{'achieved req/s':>16}{'p50':>12}{'p99':>12}{'p99.9':>12}{'completed':>11}{'errors':>8}")
for kind, runs in (("local", local), ("2 workers", dist)):
    for j in runs:
        p = j["latency_ns"]["percentiles"]
        print(f"  {kind:<14}{j['achieved_rps']:>16.1f}{ms(p['50']):>12}{ms(p['99']):>12}{ms(p['99.9']):>12}"
              f"{j['requests']['completed']:>11}{j['requests']['errors']:>8}")
def med(runs, f): return statistics.median(f(j) for j in runs)
print()
for name, f in (("achieved req/s", lambda j: j["achieved_rps"]),
                ("p99 latency ms", lambda j: j["latency_ns"]["percentiles"]["99"] / 1e6)):
    a, b = med(local, f), med(dist, f)
    print(f"  median {name:<16} local {a:10.3f}   2 workers {b:10.3f}   ratio {b / a:6.3f}")
rates = []
for j in dist:
    seconds = j["duration_ns"] / 1e9
    for w in j["workers"]:
        rates.append(w["stream_bytes"] / seconds)
print(f"  interval stream per worker: median {statistics.median(rates):,.0f} B/s "
      f"(range {min(rates):,.0f}..{max(rates):,.0f}), intervals and final result included")
PY
bench_footer
