#!/usr/bin/env python3
"""Parses the raw output of the bench scripts' runs and prints their tables.

  report.py stall DIR               the coordinated-omission table; exit 1 if nightjar fails
  report.py cost-round DIR ROUND PEER IN_FLIGHT [EXPECTED]
                                    one round of a nightjar-vs-PEER cost script (http2_vs_h2load.sh:
                                    PEER h2load; http1_vs_wrk.sh and tls_vs_wrk.sh: PEER wrk);
                                    exit 1 if a run did not get every request answered (errors,
                                    non-2xx, a count other than EXPECTED, or a count nginx
                                    disagrees with by more than IN_FLIGHT)
  report.py cost-summary DIR PEER [MIN_ROUNDS]   medians and ratios of all rounds

DIR holds, per run, NAME.out (the tool's output), NAME.time ("USER SYS" CPU seconds from
/usr/bin/time) and NAME.rc (its exit status). Standard library only.
"""

import json
import os
import re
import statistics
import sys

# ---------------------------------------------------------------------------- parsing

_WRK_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _wrk_seconds(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text)
    return float(m.group(1)) * _WRK_UNITS[m.group(2)] if m else None


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _cpu(path):
    """User+system CPU seconds from /usr/bin/time -f '%U %S' (last line: time may prepend
    'Command exited with non-zero status N')."""
    lines = [l for l in _read(path).splitlines() if l.strip()]
    if not lines:
        return None, None
    try:
        user, sys_ = (float(x) for x in lines[-1].split()[:2])
        return user, sys_
    except ValueError:
        return None, None


def parse_wrk(text):
    r = {}
    m = re.search(r"^\s*(\d+) requests in ([0-9.]+\w+)", text, re.M)
    if m:
        r["completed"] = int(m.group(1))
        r["elapsed_s"] = _wrk_seconds(m.group(2))
    m = re.search(r"^Requests/sec:\s*([0-9.]+)", text, re.M)
    if m:
        r["rps"] = float(m.group(1))
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        errors += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        errors += int(m.group(1))
    r["errors"] = errors
    m = re.search(r"^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)", text, re.M)
    if m:
        r["max"] = _wrk_seconds(m.group(3))
    pct = {}
    for q, v in re.findall(r"^\s+([0-9.]+)%\s+([0-9.]+(?:us|ms|s|m|h))\s*$", text, re.M):
        pct[q] = _wrk_seconds(v)
    r["percentiles"] = pct
    return r


def parse_hey(text):
    r = {}
    m = re.search(r"Requests/sec:\s*([0-9.]+)", text)
    if m:
        r["rps"] = float(m.group(1))
    m = re.search(r"Slowest:\s*([0-9.]+) secs", text)
    if m:
        r["max"] = float(m.group(1))
    pct = {}
    for q, v in re.findall(r"^\s+([0-9.]+)% in ([0-9.]+) secs", text, re.M):
        if q != "0":  # hey prints "0% in 0.0000 secs" for a percentile it lacks samples for
            pct[q] = float(v)
    r["percentiles"] = pct
    codes = {c: int(n) for c, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", text)}
    r["status_codes"] = codes
    r["completed"] = sum(codes.values())
    errs = re.search(r"Error distribution:\n((?:\s+\[\d+\].*\n?)*)", text)
    r["errors"] = sum(int(n) for n in re.findall(r"\[(\d+)\]", errs.group(1))) if errs else 0
    r["errors"] += sum(n for c, n in codes.items() if not c.startswith("2"))
    return r


def parse_nightjar(text):
    """nightjar's JSON report; tolerant of lines before and after it (standard error shares
    the file: "nightjar: saved as run ID" comes after the report)."""
    start = text.find("{")
    if start < 0:
        return {}
    try:
        j, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError:
        return {}
    req = j.get("requests", {})
    r = {
        "completed": req.get("completed"),
        "errors": req.get("errors", 0),
        "dropped": req.get("dropped", 0),
        "rps": j.get("achieved_rps"),
        "status_codes": j.get("status_codes", {}),
        "json": j,
    }
    for key, name in (("latency_ns", ""), ("service_time_ns", "service_")):
        h = j.get(key, {})
        r[name + "percentiles"] = {q: v / 1e9 for q, v in h.get("percentiles", {}).items()}
        if "max" in h:
            r[name + "max"] = h["max"] / 1e9
    return r


def parse_h2load(text):
    """h2load's summary: "finished in 1.76s, 56677.00 req/s, ...", "requests: N total, N started,
    N done, N succeeded, N failed, N errored, N timeout", "status codes: N 2xx, N 3xx, ..."."""
    r = {}
    m = re.search(r"^finished in ([0-9.]+)(us|ms|s|m|h), ([0-9.]+) req/s", text, re.M)
    if m:
        r["elapsed_s"] = float(m.group(1)) * _WRK_UNITS[m.group(2)]
        r["rps"] = float(m.group(3))
    m = re.search(r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored, (\d+) timeout", text, re.M)
    if m:
        total, started, done, succeeded, failed, errored, timeout = (int(x) for x in m.groups())
        r.update(total=total, started=started, done=done, completed=succeeded)
        r["errors"] = failed + errored + timeout
    m = re.search(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text, re.M)
    if m:
        r["ok_2xx"] = int(m.group(1))
        r["non_2xx"] = sum(int(x) for x in m.groups()[1:])
    return r


PARSERS = {"wrk": parse_wrk, "hey": parse_hey, "nightjar": parse_nightjar, "h2load": parse_h2load}


def load_run(directory, name, tool):
    base = os.path.join(directory, name)
    text = _read(base + ".out")
    r = PARSERS[tool](text)
    r["tool"] = tool
    r["user"], r["sys"] = _cpu(base + ".time")
    rc = _read(base + ".rc").strip()
    r["rc"] = int(rc) if rc.lstrip("-").isdigit() else None
    cpu = (r["user"] or 0) + (r["sys"] or 0) if r["user"] is not None else None
    r["cpu"] = cpu
    ok = r.get("completed") and cpu
    r["per_cpu"] = r["completed"] / cpu if ok else None
    server = _read(base + ".server").split()
    # Requests the server handled during the run (less the count request itself).
    r["server_count"] = int(server[1]) - int(server[0]) - 1 if len(server) == 2 else None
    r["raw_tail"] = "\n".join(text.strip().splitlines()[-8:])
    return r


# ---------------------------------------------------------------------------- formatting


def fmt_s(v):
    """Seconds as a readable latency."""
    if v is None:
        return "-"
    if v >= 1:
        return f"{v:.3f} s"
    if v >= 1e-3:
        return f"{v * 1e3:.{3 if v < 0.01 else 2 if v < 0.1 else 1}f} ms"
    return f"{v * 1e6:.0f} us"


def fmt_n(v, digits=0):
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


def table(headers, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    out = []
    for i, row in enumerate([headers] + rows):
        cells = [str(c).ljust(w) if j == 0 else str(c).rjust(w) for j, (c, w) in enumerate(zip(row, widths))]
        out.append("  " + "  ".join(cells).rstrip())
        if i == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(out)


# ---------------------------------------------------------------------------- stall


def stall(directory):
    runs = {t: load_run(directory, t, t) for t in ("nightjar", "wrk", "hey")}
    cols = ["50", "90", "95", "99"]
    rows = []
    for t, r in runs.items():
        pct = r.get("percentiles", {})
        rows.append([t] + [fmt_s(pct.get(q)) for q in cols] + [fmt_s(r.get("max")), fmt_n(r.get("completed")),
                     fmt_n(r.get("errors")), fmt_n(r.get("rps"), 1)])
        if t == "nightjar":
            sp = r.get("service_percentiles", {})
            rows.append(["  (its service time)"] + [fmt_s(sp.get(q)) for q in cols] +
                        [fmt_s(r.get("service_max")), "", "", ""])
    rows.append(["truth (S=1 s, D=10 s)", "~base", "~0 (edge)", "~0.5 s", "~0.9 s", "~1.0 s", "5,000", "0", "500.0"])
    print(table(["tool", "p50", "p90", "p95", "p99", "max", "completed", "errors", "req/s"], rows))
    print()
    print("  '-': not printed by that tool (nightjar JSON: 50 75 90 95 99 99.9 99.99 100; wrk --latency:")
    print("  50 75 90 99; hey: 10 25 50 75 90 95 99).")
    print("  nightjar times from each request's intended start: the figure to check against the truth.")
    print("  nightjar's service time and hey time from the actual send; a send-timed tool sees at most one")
    print("  stalled request per connection (50 of ~5,000 = ~1%), so its p99 may still touch the stall while")
    print("  its p95 misses it; hey also skips the sends it could not make (fewer than 5,000 requests).")
    print("  wrk is closed loop at its maximum rate, then back-fills synthetic samples at its own mean")
    print("  interval per connection (wrk 4's stats_correct): its tail shows the stall as if the rate had")
    print("  been its closed-loop rate, not 500 req/s, and its p90 is inflated by the same back-fill.")
    for t, r in runs.items():
        if r.get("completed") is None or (r["rc"] not in (0, None)):
            print(f"  ! {t}: exit status {r['rc']}; last output: {r['raw_tail'][-400:]}")
    print()
    nj = runs["nightjar"]
    p99 = nj.get("percentiles", {}).get("99")
    p95 = nj.get("percentiles", {}).get("95")
    extra = []
    if nj.get("dropped"):
        extra.append(f"dropped {nj['dropped']}")
    if nj.get("errors"):
        extra.append(f"errors {nj['errors']}")
    ok = p99 is not None and 0.75 <= p99 <= 1.05
    print(f"nightjar p99 = {fmt_s(p99)}; expected 0.9 s, accepted 0.75..1.05 s: {'PASS' if ok else 'FAIL'}"
          + (f" ({', '.join(extra)})" if extra else ""))
    if p95 is not None:
        ok95 = 0.35 <= p95 <= 0.65
        print(f"nightjar p95 = {fmt_s(p95)}; expected 0.5 s, accepted 0.35..0.65 s: {'PASS' if ok95 else 'FAIL'}")
        ok = ok and ok95
    return 0 if ok else 1


# ---------------------------------------------------------------------------- cost scripts
# Shared by http1_vs_wrk.sh, http2_vs_h2load.sh and tls_vs_wrk.sh: runs named rNN-O-TOOL
# (round, order in the round, tool), TOOL being nightjar or the peer. A run that did not get
# every request answered is an error (exit status 1).


def _cost_runs(directory, peer):
    runs = []
    for fn in sorted(os.listdir(directory)):
        m = re.fullmatch(r"r(\d+)-(\d)-(%s|nightjar)\.out" % re.escape(peer), fn)
        if m:
            r = load_run(directory, fn[:-4], m.group(3))
            r["round"], r["order"] = int(m.group(1)), int(m.group(2))
            runs.append(r)
    return runs


def _non_2xx(r):
    if "non_2xx" in r:
        return r["non_2xx"]
    j = r.get("json")
    if j is not None:
        n = j.get("requests", {}).get("non_2xx", 0) or 0
        n = max(n, sum(v for c, v in r.get("status_codes", {}).items() if not str(c).startswith("2")))
        return n
    return 0  # wrk counts non-2xx among its errors


def _cost_problems(r, in_flight, expected):
    """Why this run's figure cannot be trusted, as a list of sentences (empty: all answered)."""
    p = []
    if r.get("completed") is None or r["cpu"] is None:
        return ["no result (exit status %s): %s" % (r["rc"], r["raw_tail"].replace("\n", " | ")[:400])]
    if r["rc"] not in (0, None):
        p.append(f"exit status {r['rc']}")
    if r.get("errors"):
        p.append(f"{r['errors']:,} errors")
    if _non_2xx(r):
        p.append(f"{_non_2xx(r):,} non-2xx responses")
    if r.get("json", {}).get("interrupted"):
        p.append("run interrupted")
    if expected is not None and r["completed"] != expected:
        p.append(f"completed {r['completed']:,} of {expected:,} requests")
    if r["tool"] == "h2load" and r.get("ok_2xx") is not None and r["ok_2xx"] != r["completed"]:
        p.append(f"{r['completed']:,} succeeded but only {r['ok_2xx']:,} with a 2xx status")
    if r.get("server_count") is not None:
        # A tool stops with at most IN_FLIGHT requests still on the wire; more is a miscount.
        gap = r["server_count"] - r["completed"]
        if gap < 0 or gap > in_flight:
            p.append(f"reports {r['completed']:,} completed but nginx handled {r['server_count']:,}")
    return p


def cost_round(directory, rnd, peer, in_flight, expected):
    runs = [r for r in _cost_runs(directory, peer) if r["round"] == rnd]
    runs.sort(key=lambda r: r["order"])
    rows = []
    for r in runs:
        rows.append([r["tool"], fmt_n(r.get("completed")), fmt_n(r.get("server_count")),
                     fmt_n((r.get("errors") or 0) + _non_2xx(r)) if r.get("completed") is not None else "-",
                     fmt_n(r.get("rps")), fmt_n(r["user"], 2), fmt_n(r["sys"], 2), fmt_n(r["cpu"], 2),
                     fmt_n(r["per_cpu"])])
    print(f"round {rnd} (load avg {' '.join(open('/proc/loadavg').read().split()[:3])})")
    print(table(["tool", "completed", "nginx saw", "errors", "req/s", "user s", "sys s", "CPU s", "req/CPU-s"], rows))
    bad = 0
    for r in runs:
        for p in _cost_problems(r, in_flight, expected):
            print(f"  ! {r['tool']}: {p}")
            bad += 1
    print()
    return 1 if bad or not runs else 0


def cost_summary(directory, peer, min_rounds):
    runs = _cost_runs(directory, peer)
    tools = (peer, "nightjar")
    by = {t: [r for r in runs if r["tool"] == t and r["per_cpu"]] for t in tools}
    med = {}
    rows = []
    for t in tools:
        rs = by[t]
        if not rs:
            rows.append([t, "0", "-", "-", "-", "-"])
            continue
        pc = [r["per_cpu"] for r in rs]
        tp = [r["rps"] for r in rs if r.get("rps")]
        med[t] = (statistics.median(pc), statistics.median(tp) if tp else None)
        rows.append([t, str(len(rs)), fmt_n(med[t][0]), f"{fmt_n(min(pc))}..{fmt_n(max(pc))}",
                     fmt_n(med[t][1]), f"{fmt_n(min(tp))}..{fmt_n(max(tp))}" if tp else "-"])
    print("medians over rounds")
    print(table(["tool", "runs", "req/CPU-s", "range", "req/s", "range"], rows))
    print()
    if peer in med and "nightjar" in med:
        # Paired ratios (same round, back to back) cancel slow drift of the machine's load.
        paired_pc, paired_tp = [], []
        for rnd in sorted({r["round"] for r in runs}):
            w = [r for r in by[peer] if r["round"] == rnd]
            n = [r for r in by["nightjar"] if r["round"] == rnd]
            if w and n:
                paired_pc.append(n[0]["per_cpu"] / w[0]["per_cpu"])
                if n[0].get("rps") and w[0].get("rps"):
                    paired_tp.append(n[0]["rps"] / w[0]["rps"])
        rows = [["requests per generator CPU-second", f"{med['nightjar'][0] / med[peer][0]:.2f}",
                 f"{statistics.median(paired_pc):.2f}" if paired_pc else "-",
                 f"{min(paired_pc):.2f}..{max(paired_pc):.2f}" if paired_pc else "-"]]
        if med["nightjar"][1] and med[peer][1]:
            rows.append(["throughput (req/s)", f"{med['nightjar'][1] / med[peer][1]:.2f}",
                         f"{statistics.median(paired_tp):.2f}" if paired_tp else "-",
                         f"{min(paired_tp):.2f}..{max(paired_tp):.2f}" if paired_tp else "-"])
        print(f"nightjar / {peer} (above 1: nightjar better)")
        print(table(["figure", "ratio of medians", "median of per-round ratios", "per-round range"], rows))
        if len(paired_pc) < min_rounds:
            print(f"  only {len(paired_pc)} paired round(s): quote a figure from at least {min_rounds}")
    else:
        print(f"no ratio: only {', '.join(t for t in tools if t in med) or 'no tool'} ran")


def main(argv):
    if len(argv) == 3 and argv[1] == "stall":
        return stall(argv[2])
    if len(argv) in (6, 7) and argv[1] == "cost-round":
        return cost_round(argv[2], int(argv[3]), argv[4], int(argv[5]),
                          int(argv[6]) if len(argv) == 7 else None)
    if len(argv) in (4, 5) and argv[1] == "cost-summary":
        cost_summary(argv[2], argv[3], int(argv[4]) if len(argv) == 5 else 5)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
