#!/usr/bin/env bash
# The results store's size and speed (issue 11's figures; method in bench/README.md):
#   - bytes a stored run takes: a 60 s run and a 1 h run, each with per-second histograms
#     (goal: a 1 h run under 5 MB);
#   - what saving adds to the end of a run: opening the store and saving, in-process;
#   - `nightjar results list` over RUNS stored runs (goal: under 100 ms for 10,000);
#   - `nightjar results compare` of 10 runs (goal: under 200 ms), when this build has it.
# Settings (environment): RUNS (10000), RUN_SECONDS per filled run (10), RPS of the sized runs
# (1000), REPEAT timed CLI calls per figure (7, the median is reported).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-10000}
RUN_SECONDS=${RUN_SECONDS:-10}
RPS=${RPS:-1000}
REPEAT=${REPEAT:-7}
require_positive_int RUNS RUN_SECONDS RPS REPEAT
STORE_BENCH=${STORE_BENCH:-$ROOT_DIR/build/bench/store/nightjar_store_bench}
[ -x "$STORE_BENCH" ] || die "$STORE_BENCH is missing (build it: make build)"

bench_init
bench_tee store
environment_header
echo

# median_ms CMD...: runs CMD (output discarded) REPEAT times; prints the median wall time in ms.
median_ms() {
  python3 - "$REPEAT" "$@" <<'PY'
import statistics, subprocess, sys, time
repeat, cmd = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(repeat):
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    times.append((time.perf_counter() - start) * 1000)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {done.returncode}: {done.stderr.decode()[-500:]}")
print(f"{statistics.median(times):.1f} ms (min {min(times):.1f}, max {max(times):.1f})")
PY
}

echo "== bytes per stored run and time to save (open + save, median of 3; $RPS req/s)"
for seconds in 60 3600; do
  "$STORE_BENCH" size "$BENCH_TMP/size-$seconds.db" "$seconds" "$RPS" | python3 -c '
import json, sys
r = json.load(sys.stdin)
r["mb"], r["db_mb"] = r["result_bytes"] / 1e6, r["database_bytes_per_run"] / 1e6
print("  {seconds:>5} s run, {samples:>9} samples: result {mb:6.2f} MB, database grows {db_mb:6.2f} MB;"
      " encode {encode_ms:.1f} ms, open + save {open_and_save_ms_median:.1f} ms"
      " (max {open_and_save_ms_max:.1f})".format(**r))'
done
echo

echo "== $RUNS stored runs of ${RUN_SECONDS} s each"
db=$BENCH_TMP/many.db
"$STORE_BENCH" fill "$db" "$RUNS" "$RUN_SECONDS" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print("  filled in {:.1f} s; database {:.0f} MB".format(r["fill_s"], r["database_bytes"] / 1e6))'
echo "  results list (all $RUNS, human):      $(median_ms "$NIGHTJAR" results list --db "$db")"
echo "  results list (all $RUNS, json):       $(median_ms "$NIGHTJAR" results list --db "$db" --output-format json)"
echo "  results list --limit 20:              $(median_ms "$NIGHTJAR" results list --db "$db" --limit 20)"
echo "  results list --label round=3:         $(median_ms "$NIGHTJAR" results list --db "$db" --label round=3)"
echo "  results list --name 'bench-99*':      $(median_ms "$NIGHTJAR" results list --db "$db" --name 'bench-99*')"
echo "  nightjar --version (process start):   $(median_ms "$NIGHTJAR" --version)"
mapfile -t ids < <("$NIGHTJAR" results list --db "$db" --limit 10 --output-format csv | tail -n +2 | cut -d, -f1)
if "$NIGHTJAR" results --help 2>/dev/null | grep -qw compare; then
  echo "  results compare of 10 runs (human):   $(median_ms "$NIGHTJAR" results compare --db "$db" "${ids[@]}")"
  echo "  results compare of 10 runs (html):    $(median_ms "$NIGHTJAR" results compare --db "$db" --output-format html "${ids[@]}")"
else
  echo "  results compare: not in this build"
fi
bench_footer
