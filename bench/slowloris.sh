#!/usr/bin/env bash
# Slowloris against the test server: does --header-timeout bound what slow clients hold?
#
#   bench/slowloris.sh
#
# Starts `nightjar serve --listen 127.0.0.1:0 --header-timeout 10s`, then a Python client
# (stdlib only, one thread, selectors) opens CONNECTIONS connections to it and on each sends
# a request header one byte at a time, a byte every 2-3 s (the first at once), never
# finishing it. Measured:
#   - the server's resident memory (VmRSS of /proc/PID/status): before the connections,
#     at its peak while they are open, and after they are all closed;
#   - for each connection, how long after its connect the server closed it: every one must
#     be closed by the server, none before HEADER_TIMEOUT, none after HEADER_TIMEOUT + SLACK;
#   - the server's own count of header timeouts (its stop summary).
# Traffic goes to 127.0.0.1 only; the client gives up after a fixed deadline; every process
# started is stopped. Exit status 1 when a connection was not closed in time (or early).
# The report is also saved to bench/results/slowloris-<date>.txt.
#
# Settings (environment): CONNECTIONS (5000), HEADER_TIMEOUT (10s), SLACK (2s, seconds the
# close may come after the timeout), BYTE_EVERY_MIN / BYTE_EVERY_MAX (2.0 / 3.0 seconds),
# WAVES (3: the same again on the same server, to show memory is reused, not leaked),
# SERVER_CPU (1), CLIENT_CPU (0).
set -euo pipefail

CONNECTIONS=${CONNECTIONS:-5000}
HEADER_TIMEOUT=${HEADER_TIMEOUT:-10s}
SLACK=${SLACK:-2}
BYTE_EVERY_MIN=${BYTE_EVERY_MIN:-2.0}
BYTE_EVERY_MAX=${BYTE_EVERY_MAX:-3.0}
WAVES=${WAVES:-3}

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v python3 >/dev/null || die "python3 is needed for the client"

# Both sides hold one descriptor per connection (and the client its listen-queue backlog).
descriptors=$((CONNECTIONS * 2 + 1024))
ulimit -n "$descriptors" 2>/dev/null ||
  die "cannot raise the descriptor limit to $descriptors (ulimit -Hn is $(ulimit -Hn))"

bench_init
timeout_s=$(duration_seconds "$HEADER_TIMEOUT")

bench_tee slowloris
echo "# slowloris: $CONNECTIONS connections, a header byte every ${BYTE_EVERY_MIN}-${BYTE_EVERY_MAX} s, --header-timeout $HEADER_TIMEOUT"
environment_header
echo

server_out=$BENCH_TMP/server.out
bg_start $(((timeout_s + 60) * WAVES + 300)) "$server_out" \
  taskset -c "$SERVER_CPU" "$NIGHTJAR" serve --listen 127.0.0.1:0 --header-timeout "$HEADER_TIMEOUT" \
  --max-connections $((CONNECTIONS + 100))
SERVER_WRAPPER=$BG_PID
nightjar_listening "$server_out" "$SERVER_WRAPPER"
port=$LISTEN_PORT
server_pid=$(pgrep -P "$SERVER_WRAPPER" -x nightjar | head -1 || true)
[ -n "$server_pid" ] || die "cannot find the nightjar serve process"

echo "server:    $NIGHTJAR serve --listen 127.0.0.1:0 --header-timeout $HEADER_TIMEOUT --max-connections $((CONNECTIONS + 100))"
echo "           (pid $server_pid, port $port, pinned to CPU $SERVER_CPU; client on CPU $CLIENT_CPU)"
echo

cat >"$BENCH_TMP/client.py" <<'EOF'
import errno, heapq, json, random, selectors, socket, sys, time

port, pid, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
timeout_s, slack_s = float(sys.argv[4]), float(sys.argv[5])
every_min, every_max, out = float(sys.argv[6]), float(sys.argv[7]), sys.argv[8]
# A header that never ends within the run: one byte of it per send.
header = b"GET /?size=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slowloris: " + b"z" * 100000
deadline = time.monotonic() + n / 500 + timeout_s + slack_s + 30

def rss_kib():
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1

sel = selectors.DefaultSelector()
# Per connection: [sock, connect started (before the server can have accepted it: the
# start of its header timeout is later), sent, closed_at, answered_bytes, connected].
conns = []
due = []            # heap of (next_send_time, index)
connect_failures = 0
rss_before = rss_kib()
rss_peak = rss_before
rss_timeline = []
last_sample = 0.0
opened = 0
started = time.monotonic()

def close_conn(i, now):
    c = conns[i]
    if c[3] is None:
        c[3] = now
        try:
            sel.unregister(c[0])
        except (KeyError, ValueError):
            pass
        c[0].close()

def send_byte(i, now):
    c = conns[i]
    if c[3] is not None:
        return
    try:
        c[0].send(header[c[2]:c[2] + 1])
        c[2] += 1
        heapq.heappush(due, (now + random.uniform(every_min, every_max), i))
    except BlockingIOError:
        heapq.heappush(due, (now + 0.05, i))
    except OSError:
        close_conn(i, now)   # the server closed it; the read side says so too

while True:
    now = time.monotonic()
    # Open connections in batches, so the listen queue is never the bottleneck.
    batch = 0
    while opened < n and batch < 100:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        now = time.monotonic()
        rc = s.connect_ex(("127.0.0.1", port))
        if rc not in (0, errno.EINPROGRESS):
            connect_failures += 1
            s.close()
        else:
            conns.append([s, now, 0, None, 0, False])
            sel.register(s, selectors.EVENT_WRITE, len(conns) - 1)
        opened += 1
        batch += 1
    if now - last_sample >= 0.1:
        last_sample = now
        r = rss_kib()
        rss_peak = max(rss_peak, r)
        rss_timeline.append((round(now - started, 1), r))
    live = sum(1 for c in conns if c[3] is None)
    if opened >= n and live == 0:
        break
    if now > deadline:
        break
    wait = 0.05
    if due:
        wait = min(wait, max(0.0, due[0][0] - now))
    for key, events in sel.select(timeout=wait):
        i = key.data
        c = conns[i]
        now = time.monotonic()
        if not c[5]:  # connect finished
            err = c[0].getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err != 0:
                connect_failures += 1
                c[3] = now
                sel.unregister(c[0])
                c[0].close()
                continue
            c[5] = True
            sel.modify(c[0], selectors.EVENT_READ, i)
            send_byte(i, now)
            continue
        try:
            data = c[0].recv(65536)
        except ConnectionResetError:
            data = b""
        except BlockingIOError:
            continue
        if data:
            c[4] += len(data)   # an answer: the header was never complete, so none is expected
        else:
            close_conn(i, now)
    now = time.monotonic()
    while due and due[0][0] <= now:
        _, i = heapq.heappop(due)
        send_byte(i, now)

end = time.monotonic()
connected = [c for c in conns if c[5]]
delays = sorted(c[3] - c[1] for c in connected if c[3] is not None)
still_open = sum(1 for c in connected if c[3] is None)
for c in conns:
    if c[3] is None:
        c[0].close()
pct = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))] if delays else float("nan")
json.dump({
    "connections": n,
    "connected": len(connected),
    "connect_failures": connect_failures,
    "closed_by_server": len(delays),
    "still_open_at_deadline": still_open,
    "closed_early": sum(1 for d in delays if d < timeout_s),
    "closed_late": sum(1 for d in delays if d > timeout_s + slack_s),
    "answered_connections": sum(1 for c in connected if c[4] > 0),
    "delay_min": delays[0] if delays else None, "delay_p50": pct(0.5), "delay_p99": pct(0.99),
    "delay_max": delays[-1] if delays else None,
    "bytes_sent_max": max((c[2] for c in connected), default=0),
    "rss_before_kib": rss_before, "rss_peak_kib": rss_peak,
    "seconds": round(end - started, 1),
    "rss_timeline": rss_timeline,
}, open(out, "w"))
EOF

cat >"$BENCH_TMP/report.py" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
after, timeout_s, slack = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
mib = lambda kib: f"{kib / 1024:.1f} MiB"
print(f"connections:        {r['connected']} connected of {r['connections']} ({r['connect_failures']} failed to connect)")
print(f"closed by server:   {r['closed_by_server']}; still open at the deadline: {r['still_open_at_deadline']}")
print(f"close after connect: min {r['delay_min']:.2f} s, p50 {r['delay_p50']:.2f} s, p99 {r['delay_p99']:.2f} s, max {r['delay_max']:.2f} s")
print(f"  before {timeout_s:.0f} s (early): {r['closed_early']}; after {timeout_s:.0f} s + {slack:.0f} s (late): {r['closed_late']}")
print(f"  connections that got any response bytes: {r['answered_connections']}")
print(f"header bytes sent:  at most {r['bytes_sent_max']} per connection")
print(f"server VmRSS:       before {mib(r['rss_before_kib'])}, peak {mib(r['rss_peak_kib'])}, after {mib(after)}")
per = (r['rss_peak_kib'] - r['rss_before_kib']) / max(1, r['connected'])
print(f"                    peak - before = {per:.1f} KiB per open connection")
print(f"client run:         {r['seconds']} s")
ok = (r['closed_by_server'] == r['connections'] and r['closed_early'] == 0 and r['closed_late'] == 0
      and r['still_open_at_deadline'] == 0 and r['answered_connections'] == 0)
print("RESULT:             " + ("PASS: every connection closed by the server within the header timeout"
      if ok else "FAIL"))
sys.exit(0 if ok else 1)
EOF

# Several waves on one server: what the first leaves allocated is reused, not added to.
rc=0
for ((wave = 1; wave <= WAVES; wave++)); do
  echo "## wave $wave"
  taskset -c "$CLIENT_CPU" python3 "$BENCH_TMP/client.py" "$port" "$server_pid" "$CONNECTIONS" \
    "$timeout_s" "$SLACK" "$BYTE_EVERY_MIN" "$BYTE_EVERY_MAX" "$BENCH_TMP/wave$wave.json"
  sleep 2  # let the server free what the closed connections held, then measure
  rss_after=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status")
  python3 "$BENCH_TMP/report.py" "$BENCH_TMP/wave$wave.json" "$rss_after" "$timeout_s" "$SLACK" ||
    rc=1
  echo
done
bench_stop "$SERVER_WRAPPER"
echo "server stop summary:"
sed -n '2,$p' "$BENCH_TMP/server.out"
bench_footer  # a FAIL exits 1, but the report is complete
exit "$rc"
