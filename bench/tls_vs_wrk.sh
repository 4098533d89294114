#!/usr/bin/env bash
# HTTP/1.1 over TLS, closed-loop cost per request: nightjar against wrk, both loading the same
# nginx over keep-alive TLS connections.
#
#   bench/tls_vs_wrk.sh
#   ROUNDS=7 DURATION=10s CONNECTIONS=50 bench/tls_vs_wrk.sh
#   TOOLS=wrk bench/tls_vs_wrk.sh        only wrk (e.g. while nightjar cannot do https:// yet)
#
# nginx (one worker, `listen ... ssl` with the test certificate test/data/tls/worker.pem,
# valid for 127.0.0.1 and signed by test/data/tls/ca.pem; TLS 1.3 with one cipher suite,
# $TLS_CIPHERSUITE, so both tools pay for the same cipher; fixed 2-byte response, access log
# off, keep-alive) runs pinned to CPU $SERVER_CPU. Each generator runs pinned to CPU
# $CLIENT_CPU under /usr/bin/time, with the same connections for the same time:
#   wrk -t1 -cC -dD https://127.0.0.1:PORT/                 (does not verify the certificate)
#   nightjar load https://127.0.0.1:PORT/ --ca-file test/data/tls/ca.pem --protocol http1
#     -c C -t 1 -d D --rps 0 --output-format json --no-progress   (verifies it)
# The tools alternate (the one that goes first alternates too). For each run: requests
# completed, requests per second, and requests per generator CPU-second (completed / (user +
# system)); the TLS handshakes of the C connections are part of each run's cost. At the end:
# the median of each figure per tool and the ratio nightjar / wrk. Above 1 favours nightjar.
# A run with errors, non-2xx responses, or a count nginx disagrees with stops the script with
# exit status 1. The report is also written to bench/results/tls_vs_wrk-<date>.txt.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-50}
TOOLS=${TOOLS:-wrk nightjar}
TLS_CIPHERSUITE=${TLS_CIPHERSUITE:-TLS_AES_128_GCM_SHA256}
MIN_ROUNDS=5  # fewer rounds still run, but the summary says the figure is not one to quote

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT_DIR/scripts/install-deps.sh" --bench

require_positive_int ROUNDS CONNECTIONS
[[ $TLS_CIPHERSUITE =~ ^TLS_[A-Z0-9_]+$ ]] || die "TLS_CIPHERSUITE must be a TLS 1.3 suite name, not '$TLS_CIPHERSUITE'"
read -r -a tools <<<"$TOOLS"
case "${tools[*]}" in
  "wrk nightjar" | "nightjar wrk") tools=(wrk nightjar) ;;
  wrk | nightjar) ;;
  *) die "TOOLS must be 'wrk nightjar' (default), 'wrk' or 'nightjar', not '$TOOLS'" ;;
esac
run_limit=$(($(duration_seconds "$DURATION") * 3 + 30))  # a generator that overruns this much is stopped

CERT=$ROOT_DIR/test/data/tls/worker.pem
KEY=$ROOT_DIR/test/data/tls/worker.key
CA=$ROOT_DIR/test/data/tls/ca.pem
for f in "$CERT" "$KEY" "$CA"; do [ -r "$f" ] || die "missing test certificate file $f"; done

bench_init

# ---- nginx, one worker, TLS 1.3 only on the measured port (plain stub_status on another)
server_limit=$(((run_limit + 10) * 2 * (ROUNDS + 1) + 120))
nginx_start "$BENCH_TMP/nginx" "$server_limit" "$SERVER_CPU" ssl \
  "ssl_certificate $CERT; ssl_certificate_key $KEY; ssl_protocols TLSv1.3; ssl_conf_command Ciphersuites $TLS_CIPHERSUITE;"
ngx=$BENCH_TMP/nginx
URL=https://127.0.0.1:$NGINX_PORT/

# The server side works and the certificate verifies for 127.0.0.1 against the test CA.
tls_check=$(timeout 10 openssl s_client -connect "127.0.0.1:$NGINX_PORT" -CAfile "$CA" -verify_ip 127.0.0.1 \
  -verify_return_error -brief </dev/null 2>&1) ||
  { echo "$tls_check" >&2; die "TLS handshake with nginx on 127.0.0.1:$NGINX_PORT failed (see above)"; }
tls_line=$(echo "$tls_check" | sed -n 's/^Protocol version: //p;s/^Ciphersuite: //p;s/^Verification: //p' | paste -sd, | sed 's/,/, /g')

# command_for TOOL DURATION: the command line of one run of TOOL, in $cmd.
command_for() {
  case "$1" in
    wrk) cmd=(wrk -t1 "-c$CONNECTIONS" "-d$2" "$URL") ;;
    nightjar) cmd=("$NIGHTJAR" load "$URL" --ca-file "$CA" --protocol http1 -c "$CONNECTIONS" -t 1 -d "$2"
      --rps 0 --output-format json --no-progress) ;;
  esac
}

# Check before measuring that each tool gets its requests answered over TLS by this nginx
# (a 1 s run each, not recorded; it also warms nginx up).
for tool in "${tools[@]}"; do
  nginx_check "$tool" 1s 40 wrk "$CONNECTIONS" && continue
  if [ "$tool" = nightjar ]; then
    die "nightjar could not load $URL over TLS (its output is above). If its https:// client is not" \
      "there yet, 'TOOLS=wrk bench/tls_vs_wrk.sh' measures only the wrk half."
  fi
  die "$tool could not load $URL over TLS; see above"
done

bench_tee tls_vs_wrk
echo "# nightjar vs wrk, HTTP/1.1 over TLS, closed loop against nginx (keep-alive)"
environment_header
echo "wrk:       $(wrk -v 2>&1 | head -1)"
echo "openssl:   $(openssl version)"
echo "nginx:     $("$NGINX" -v 2>&1 | sed 's/.*: //'), 1 worker, 'listen ... ssl', pinned to CPU $SERVER_CPU"
echo "TLS:       ${tls_line:-?} (openssl s_client with the test CA; the only suite nginx accepts)"
echo "setup:     $ROUNDS rounds x $DURATION, $CONNECTIONS connections, 1 thread, generators pinned to CPU $CLIENT_CPU"
echo "tools:     ${tools[*]}"
label="commands:"
for tool in "${tools[@]}"; do
  command_for "$tool" "$DURATION"
  cmd=("${cmd[@]/#"$NIGHTJAR"/nightjar}")
  echo "$label  taskset -c $CLIENT_CPU ${cmd[*]/#"$CA"/${CA#"$ROOT_DIR"/}}"
  label="         "
done
echo

# report_round ROUND: its table; duration-bounded runs may stop with one request in flight per
# connection.
report_round() {
  python3 "$BENCH_DIR/report.py" cost-round "$RAW_DIR" "$1" wrk "$CONNECTIONS" ||
    die "round $1: a tool did not get every request answered (see '!' above); no figure"
}
nginx_rounds "$RAW_DIR" "$ROUNDS" "$DURATION" "$run_limit" "${tools[@]}"

python3 "$BENCH_DIR/report.py" cost-summary "$RAW_DIR" wrk "$MIN_ROUNDS"
bench_footer "$ngx"
