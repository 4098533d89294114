#!/usr/bin/env bash
# Renders a real HTML report in headless Chromium: run a short load against
# `nightjar serve` on loopback, convert the JSON result with `nightjar report`, then check
# the DOM Chromium built (every chart, its drawn series, escaped text) and that a
# screenshot of the page is a real image. Chromium may make no network request while it
# renders the report (checked in its net log).
#
# Then the same for the comparison of two runs (`nightjar results compare --output-format html`).
#
# Usage: html_browser_test.sh PATH/TO/nightjar
# Exit: 0 pass, 1 fail, 77 skip (no Chromium; ctest reports it as skipped).
# Environment: NIGHTJAR_CHROMIUM=/path/to/chromium overrides the lookup;
#              NIGHTJAR_KEEP_SCREENSHOT=FILE copies the screenshot there.
set -uo pipefail

nightjar=${1:?usage: html_browser_test.sh PATH/TO/nightjar}
chromium=${NIGHTJAR_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z $chromium || ! -x $chromium ]]; then
  echo "SKIP: chromium not found (apt-get install chromium)"
  exit 77
fi
for tool in timeout setsid od; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not found"; exit 77; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/nightjar-html-test.XXXXXX") || exit 1
server_pid=""
chromium_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then
    kill -TERM "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  # Chromium runs in its own session: end its whole process group (zygote, renderer, ...).
  if [[ -n $chromium_pid ]]; then
    kill -KILL -- "-$chromium_pid" 2>/dev/null
    wait "$chromium_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
  echo "FAIL: $*" >&2
  for log in "$work"/serve.err "$work"/load.err "$work"/chromium.err; do
    [[ -s $log ]] && { echo "--- $(basename "$log") (last lines)" >&2; tail -n 15 "$log" >&2; }
  done
  exit 1
}

# 1. A test server on a free loopback port; its first stdout line names the port.
timeout -k 5 120 "$nightjar" serve --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
port=""
for _ in $(seq 200); do
  line=$(head -n 1 "$work/serve.out" 2>/dev/null)
  if [[ $line =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+)$ ]]; then
    port=${BASH_REMATCH[1]}
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || fail "nightjar serve exited before listening"
  sleep 0.05
done
[[ -n $port ]] || fail "nightjar serve did not print 'listening on 127.0.0.1:PORT' within 10 s"

# 2. A short open-loop run, saved as JSON. The name tries to inject markup into the page.
#    A second run, slower, is saved beside it in the test's own database for the comparison.
name='browser <b id="injected">test</b> & "quotes"'
timeout -k 5 60 "$nightjar" load "http://127.0.0.1:$port/?size=64" --requests 300 --rps 300 \
  --name "$name" --label mesh=none --no-progress --output-format json -o "$work/result.json" \
  --db "$work/results.db" >"$work/load.out" 2>"$work/load.err" || fail "nightjar load failed"
timeout -k 5 60 "$nightjar" load "http://127.0.0.1:$port/?size=64&delay=1ms" --requests 300 --rps 300 \
  --name slower --no-progress --output-format json -o "$work/slower.json" --db "$work/results.db" \
  >"$work/load.out" 2>"$work/load.err" || fail "the second nightjar load failed"
kill -TERM "$server_pid" 2>/dev/null
wait "$server_pid" 2>/dev/null
server_pid=""

# 3. The HTML report, converted from the saved result.
timeout -k 5 30 "$nightjar" report "$work/result.json" --output-format html -o "$work/report.html" \
  2>"$work/report.err" || fail "nightjar report --output-format html failed: $(cat "$work/report.err")"
[[ -s $work/report.html ]] || fail "the report is empty"

# Runs Chromium headless on the page $work/$page (report.html unless set) with extra flags;
# stdout to $work/chromium.out. Nothing resolves (host-resolver-rules), so a stray fetch
# could not leave the machine.
page=report.html
run_chromium() {
  local profile
  profile=$(mktemp -d "$work/profile.XXXXXX") || return 1
  mkdir -p "$work/home"
  HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_CACHE_HOME="$work/home/.cache" \
    setsid timeout -k 5 90 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage \
    --disable-extensions --hide-scrollbars --no-proxy-server --host-resolver-rules="MAP * ~NOTFOUND" \
    --user-data-dir="$profile" "$@" "file://$work/$page" >"$work/chromium.out" 2>"$work/chromium.err" &
  chromium_pid=$!
  wait "$chromium_pid"
  local rc=$?
  kill -KILL -- "-$chromium_pid" 2>/dev/null  # helpers left behind, if any
  chromium_pid=""
  return "$rc"
}

# 4. The DOM as Chromium parsed it.
run_chromium --dump-dom --log-net-log="$work/netlog.json" --net-log-capture-mode=Default ||
  fail "chromium --dump-dom failed"
dom=$(cat "$work/chromium.out")
[[ $dom == *"</html>"* ]] || fail "chromium dumped no DOM"

for id in chart-spectrum chart-throughput chart-latency-time chart-status; do
  [[ $dom == *"<svg id=\"$id\""* ]] || fail "no <svg id=\"$id\"> in the rendered DOM"
  svg=${dom#*<svg id=\"$id\"}
  svg=${svg%%</svg>*}
  if [[ $id == chart-status ]]; then
    bars=$(grep -o '<rect class="series bar[^"]*"[^>]* width="[0-9.]*"' <<<"$svg" | grep -vc 'width="0.0"')
    ((bars >= 1)) || fail "$id: no status bar drawn"
  else
    paths=$(grep -o '<path class="series[^"]*" d="M[^"]*"' <<<"$svg")
    count=$(grep -c . <<<"$paths")
    ((count == 2)) || fail "$id: expected 2 series paths with points, found $count"
  fi
done
# The spectrum of 300 responses has tens of points per series.
spectrum=${dom#*<svg id=\"chart-spectrum\"}
spectrum=${spectrum%%</svg>*}
points=$(grep -o '<path class="series s-latency" d="[^"]*"' <<<"$spectrum" | head -n 1 | grep -o 'L' | wc -l)
((points >= 20)) || fail "chart-spectrum: the latency path has only $((points + 1)) points"

# Escaped, not injected: the name is text in the <h1>, and no element came out of it.
grep -q '<h1>browser &lt;b id="injected"&gt;test&lt;/b&gt; &amp; "quotes"</h1>' <<<"$dom" ||
  fail "the test name is not shown as escaped text in the <h1>"
[[ $dom != *'<b id="injected">'* ]] || fail "markup from the test name became an element"
grep -q '<script type="application/json" id="nightjar-result">' <<<"$dom" || fail "no JSON island"

# The page fetched nothing. Requests a document starts carry its origin as initiator ("null"
# for a file:// page); Chromium's own background requests say "not an origin" (and cannot
# resolve a name here anyway).
check_no_requests() {
  [[ -s $work/netlog.json ]] || fail "chromium wrote no net log"
  local page_requests
  page_requests=$(grep '"initiator":"' "$work/netlog.json" | grep -v '"initiator":"not an origin"' |
    grep -o '"url":"[^"]*"' | sort -u)
  [[ -z $page_requests ]] || fail "$page made network requests: $page_requests"
}
check_no_requests

# 5. A screenshot of the page: a PNG of the requested size with real content.
run_chromium --screenshot="$work/shot.png" --window-size=1280,2400 || fail "chromium --screenshot failed"
[[ -s $work/shot.png ]] || fail "no screenshot written"
signature=$(od -An -tx1 -N8 "$work/shot.png" | tr -d ' \n')
[[ $signature == 89504e470d0a1a0a ]] || fail "the screenshot is not a PNG"
size_hex=$(od -An -tx1 -j16 -N8 "$work/shot.png" | tr -d ' \n')
width=$((16#${size_hex:0:8}))
height=$((16#${size_hex:8:8}))
((width == 1280 && height == 2400)) || fail "screenshot is ${width}x${height}, expected 1280x2400"
bytes=$(wc -c <"$work/shot.png")
# A blank page compresses to a few KB; charts, text and tables make well over 60 KB.
((bytes > 60000)) || fail "screenshot is only $bytes bytes: the page looks empty"
if [[ -n ${NIGHTJAR_KEEP_SCREENSHOT:-} ]]; then cp "$work/shot.png" "$NIGHTJAR_KEEP_SCREENSHOT"; fi

# 6. The comparison of the two runs (results compare --output-format html): every chart draws
#    one series per run, and the page fetches nothing either.
ids=$("$nightjar" results list --db "$work/results.db" --output-format csv | tail -n +2 | cut -d, -f1 | tac)
[[ $(wc -l <<<"$ids") == 2 ]] || fail "expected 2 saved runs, found: $ids"
# shellcheck disable=SC2086 # two IDs, oldest first
timeout -k 5 30 "$nightjar" results compare $ids --db "$work/results.db" --output-format html \
  -o "$work/compare.html" 2>"$work/report.err" || fail "results compare failed: $(cat "$work/report.err")"
page=compare.html
run_chromium --dump-dom --log-net-log="$work/netlog.json" --net-log-capture-mode=Default ||
  fail "chromium --dump-dom failed on the comparison"
dom=$(cat "$work/chromium.out")
for id in chart-compare-spectrum chart-compare-throughput chart-compare-p99; do
  [[ $dom == *"<svg id=\"$id\""* ]] || fail "no <svg id=\"$id\"> in the comparison's DOM"
  svg=${dom#*<svg id=\"$id\"}
  svg=${svg%%</svg>*}
  for run in r0 r1; do
    grep -q "<path class=\"series $run\" d=\"M" <<<"$svg" || fail "$id: no series drawn for run $run"
  done
done
[[ $dom != *'<b id="injected">'* ]] || fail "markup from the test name became an element in the comparison"
check_no_requests
run_chromium --screenshot="$work/compare.png" --window-size=600,2400 || fail "chromium --screenshot failed"
compare_bytes=$(wc -c <"$work/compare.png")
((compare_bytes > 60000)) || fail "the comparison's screenshot is only $compare_bytes bytes"

echo "PASS: report rendered in $(basename "$chromium"): 4 charts, screenshot ${width}x${height}, $bytes bytes;" \
  "comparison: 3 charts of 2 runs, screenshot at 600 px $compare_bytes bytes"
