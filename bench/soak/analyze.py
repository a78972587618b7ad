#!/usr/bin/env python3
"""Turns the logs of a soak run (bench/soak/run.sh) into a markdown table.

    analyze.py --dir DIR [--min-life SECONDS] [--window SECONDS] [--header TEXT]

Reads, from DIR (all times CLOCK_MONOTONIC seconds):
    samples.tsv             <t> <node> <pid> <VmRSS kB> <descriptors> <threads>   (sample.py)
    load.tsv                <second> <ok> <failed> <refused> <timeout> <reset> <bad> (load.py)
    events.log              <t> begin N | start NODE PID | kill NODE PID MINUTE |
                            stop NODE PID MINUTE | cont NODE PID MINUTE | skip - - MINUTE ... |
                            warning ... | end                                       (run.sh)
    holders.nodeK.tsv       <t> <node> present|absent|end                          (holders.py)
    overlap.json            holders.py overlap, the stopped node counted dead while stopped
    overlap.stops-live.json the same with the stopped node counted live throughout
and prints:
    1. per window (default 10 minutes) of the measured run, per node: VmRSS min-max (MiB),
       descriptors min-max, threads min-max, over whatever processes ran on the node then;
    2. per process that lived at least --min-life seconds (default 600): lifetime, VmRSS at
       +2 min and at its end, the least-squares slope of VmRSS over its life after its first
       2 minutes (KiB/hour), descriptors and threads first/last/max, leader kills and stops it
       went through, how often it took the VIP;
    3. totals: events, takeovers, load, overlaps.
Exits 2 if a file it needs is missing or malformed (naming it and the line).
"""
import argparse
import json
import os
import sys
from collections import defaultdict

WARMUP_S = 120.0  # the "+2 min" point: start-up allocations (pools, buffers) are done by then
# A process's first seconds are its start-up (loading the binary, reading the Raft log, opening
# sockets), not its steady state: the per-window and per-process figures leave them out.
STARTUP_S = 10.0
# Requests counted against an event: those started from 1 s before it to 10 s after it.
EVENT_SPAN = (-1, 10)
# A VIP acquisition more than this long after the last kill or stop was not caused by one: a
# leader that lost its lease on its own (a busy host delaying heartbeats) and the VIP with it.
UNPLANNED_AFTER_S = 10.0


class InputError(Exception):
    pass


def read_rows(path: str, min_fields: int, optional: bool = False):
    """Yields (line number, fields) of a whitespace-separated log, skipping blank and # lines."""
    if not os.path.exists(path):
        if optional:
            return
        raise InputError(f"{path}: missing")
    with open(path, encoding="ascii", errors="replace") as f:
        for number, line in enumerate(f, 1):
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            if len(fields) < min_fields:
                raise InputError(f"{path}:{number}: expected {min_fields} fields, got {line.strip()!r}")
            yield number, fields


def number(path: str, line: int, text: str, kind=float):
    try:
        return kind(text)
    except ValueError:
        raise InputError(f"{path}:{line}: {text!r} is not a number") from None


def load_samples(path):
    samples = []  # (t, node, pid, rss_kb, fds, threads)
    for line, f in read_rows(path, 6):
        samples.append((number(path, line, f[0]), f[1], number(path, line, f[2], int),
                        number(path, line, f[3], int), number(path, line, f[4], int),
                        number(path, line, f[5], int)))
    samples.sort()
    return samples


def load_events(path):
    events = []
    for line, f in read_rows(path, 2):
        events.append((number(path, line, f[0]), f[1], f[2:]))
    events.sort(key=lambda e: e[0])
    return events


def load_holders(directory):
    events = []
    for name in sorted(os.listdir(directory)):
        if name.startswith("holders.") and name.endswith(".tsv"):
            path = os.path.join(directory, name)
            for line, f in read_rows(path, 3):
                events.append((number(path, line, f[0]), f[1], f[2]))
    events.sort()
    return events


def load_json(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        text = f.read().strip()
    if not text:
        return None
    try:
        return json.loads(text.splitlines()[0])
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not JSON ({err})") from None


def mib(kb):
    return f"{kb / 1024:.1f}"


def span(values, fmt=str):
    lo, hi = min(values), max(values)
    return fmt(lo) if fmt(lo) == fmt(hi) else f"{fmt(lo)}–{fmt(hi)}"


def slope_per_hour(points):
    """Least-squares slope of (t, y) points, in y units per hour; None with fewer than 2 points."""
    n = len(points)
    if n < 2:
        return None
    mt = sum(t for t, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    if var == 0:
        return None
    cov = sum((t - mt) * (y - my) for t, y in points)
    return cov / var * 3600.0


def analyze(args) -> str:
    d = args.dir
    samples = load_samples(os.path.join(d, "samples.tsv"))
    events = load_events(os.path.join(d, "events.log"))
    holders = load_holders(d)
    load_path = os.path.join(d, "load.tsv")
    load = [(number(load_path, line, f[0], int), *(number(load_path, line, x, int) for x in f[1:7]))
            for line, f in read_rows(load_path, 7)]
    begin = next((t for t, what, _ in events if what == "begin"), None)
    end = next((t for t, what, _ in events if what == "end"), None)
    if begin is None:
        raise InputError(f"{os.path.join(d, 'events.log')}: no 'begin' line")
    if end is None:  # an interrupted run: up to the last sample
        end = samples[-1][0] if samples else begin
    if not samples:
        raise InputError(f"{os.path.join(d, 'samples.tsv')}: no samples")
    nodes = sorted({s[1] for s in samples})
    born = {}
    for s in samples:
        born.setdefault((s[1], s[2]), s[0])
    steady = [s for s in samples if s[0] >= born[(s[1], s[2])] + STARTUP_S]
    out = []
    if args.header:
        out.append(args.header)
        out.append("")
    minutes = (end - begin) / 60

    # 1. Per window, per node.
    out.append(f"**Every {args.window / 60:g} minutes, per node** (VmRSS MiB, descriptors, threads:"
               " min–max over the samples of the window, whichever processes ran on the node,"
               f" leaving out each process's first {STARTUP_S:g} s)")
    out.append("")
    head = "| minutes |" + "".join(f" {n} RSS MiB | {n} fds | {n} threads |" for n in nodes)
    out.append(head)
    out.append("|---" * (1 + 3 * len(nodes)) + "|")
    window = float(args.window)
    count = max(1, int((end - begin + window - 1) // window))
    for w in range(count):
        lo, hi = begin + w * window, min(end, begin + (w + 1) * window)
        row = f"| {w * window / 60:g}–{(hi - begin) / 60:.0f} |"
        for n in nodes:
            sel = [s for s in steady if s[1] == n and lo <= s[0] < hi]
            if not sel:
                row += " - | - | - |"
                continue
            row += (f" {span([s[3] for s in sel], mib)} | {span([s[4] for s in sel])} |"
                    f" {span([s[5] for s in sel])} |")
        out.append(row)
    out.append("")

    # 2. Per process.
    by_pid = defaultdict(list)
    for s in samples:
        by_pid[(s[1], s[2])].append(s)
    kills = [(t, rest) for t, what, rest in events if what == "kill"]
    stops = [(t, rest) for t, what, rest in events if what == "stop"]
    conts = [(t, rest) for t, what, rest in events if what == "cont"]
    acquisitions = [(t, n) for t, n, what in holders if what == "present"]
    long_lived = []
    for (node, pid), rows in sorted(by_pid.items(), key=lambda kv: kv[1][0][0]):
        first, last = rows[0][0], rows[-1][0]
        if last - first >= args.min_life:
            long_lived.append((node, pid, rows))
    out.append(f"**Every process that lived at least {args.min_life / 60:g} minutes** (VmRSS slope:"
               " least squares over its samples after its first 2 minutes; descriptors and threads"
               f" after its first {STARTUP_S:g} s)")
    out.append("")
    out.append("| node | pid | lived min | VIP taken | stopped as leader | VmRSS MiB +2 min | VmRSS MiB end"
               " | VmRSS max MiB | slope KiB/hour | fds first/last/max | threads first/last/max |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for node, pid, rows in long_lived:
        first, last = rows[0][0], rows[-1][0]
        after = [s for s in rows if s[0] >= first + WARMUP_S]
        at2 = after[0][3] if after else None
        slope = slope_per_hour([(s[0], s[3]) for s in after])
        taken = sum(1 for t, n in acquisitions if n == node and first <= t <= last)
        stopped = sum(1 for _, rest in stops if rest[0] == node and rest[1] == str(pid))
        fds = [s[4] for s in rows if s[0] >= first + STARTUP_S]
        thr = [s[5] for s in rows if s[0] >= first + STARTUP_S]
        out.append(
            f"| {node} | {pid} | {(last - first) / 60:.1f} | {taken} | {stopped} |"
            f" {mib(at2) if at2 is not None else '-'} | {mib(rows[-1][3])} | {mib(max(s[3] for s in rows))} |"
            f" {f'{slope:+.0f}' if slope is not None else '-'} |"
            f" {fds[0]}/{fds[-1]}/{max(fds)} | {thr[0]}/{thr[-1]}/{max(thr)} |")
    if not long_lived:
        out.append("| (none) | | | | | | | | | | |")
    out.append("")

    # 3. Totals.
    measured = [r for r in load if begin <= r[0] < end]
    ok = sum(r[1] for r in measured)
    failed = sum(r[2] for r in measured)
    reasons = [sum(r[3 + i] for r in measured) for i in range(4)]
    per_minute = defaultdict(int)
    for r in measured:
        per_minute[int((r[0] - begin) // 60)] += r[2]
    took = [(t, n) for t, n in acquisitions if begin <= t <= end]
    takeovers, previous = 0, None
    for t, n in acquisitions:
        if previous is not None and n != previous and begin <= t <= end:
            takeovers += 1
        previous = n
    event_times = sorted(t for t, what, _ in events if what in ("kill", "stop"))
    unplanned = [(t, n) for t, n in took
                 if not any(0 <= t - e <= UNPLANNED_AFTER_S for e in event_times)]
    skipped = sum(1 for _, what, _ in events if what == "skip")
    warnings = [" ".join(rest) for _, what, rest in events if what == "warning"]
    overlap = load_json(os.path.join(d, "overlap.json"))
    overlap_live = load_json(os.path.join(d, "overlap.stops-live.json"))
    pids_total = len(by_pid)
    rss_all = [s[3] for s in steady if begin <= s[0] <= end]
    out.append("**Totals**")
    out.append("")
    out.append("| what | value |")
    out.append("|---|---|")
    out.append(f"| measured run | {minutes:.1f} min, {len([s for s in samples if begin <= s[0] <= end])}"
               f" samples of {pids_total} processes |")
    out.append(f"| leader SIGKILLs (restarted 2 s later) | {len(kills)} |")
    out.append(f"| leader SIGSTOPs (3 s, then SIGCONT) | {len(stops)} (continued: {len(conts)}) |")
    out.append(f"| minutes without an event (no single holder) | {skipped} |")
    out.append(f"| VIP acquisitions / takeovers by another node | {len(took)} / {takeovers} |")
    out.append(f"| VIP acquisitions more than {UNPLANNED_AFTER_S:g} s after any event (a lease lost on"
               f" its own) | {len(unplanned)}"
               f"{' (' + ', '.join(f'{n} at +{(t - begin) / 60:.1f} min' for t, n in unplanned) + ')' if unplanned else ''} |")
    out.append(f"| requests ok / failed | {ok} / {failed} ({100.0 * failed / max(1, ok + failed):.2f} %) |")
    out.append(f"| failed by reason: refused / timeout / reset / bad | {' / '.join(map(str, reasons))} |")
    if measured:
        whole_minutes = max(1, int(minutes + 0.999))
        counts = [per_minute.get(m, 0) for m in range(whole_minutes)]
        worst = max(range(whole_minutes), key=lambda m: counts[m])
        out.append("| failed requests per minute: median / max | "
                   f"{sorted(counts)[whole_minutes // 2]} / {counts[worst]} (minute {worst + 1});"
                   f" {counts.count(0)} minute(s) without a failure |")
    failed_at = {r[0]: r[2] for r in measured}
    for kind, label in ((kills, "SIGKILL"), (stops, "SIGSTOP")):
        costs = sorted(sum(failed_at.get(second, 0) for second in range(int(t) + EVENT_SPAN[0],
                                                                           int(t) + EVENT_SPAN[1] + 1))
                       for t, _ in kind)
        if costs:
            out.append(f"| failed requests per {label} (started {EVENT_SPAN[0]} s to +{EVENT_SPAN[1]} s"
                       f" around it): min / median / max | {costs[0]} / {costs[len(costs) // 2]} /"
                       f" {costs[-1]} |")
    if rss_all:
        out.append(f"| VmRSS over all processes (after their first {STARTUP_S:g} s), min / max |"
                   f" {mib(min(rss_all))} / {mib(max(rss_all))} MiB |")

    def overlap_text(report):
        if report is None:
            return "not checked"
        return (f"{report.get('counted_overlaps')} (longest {report.get('max_overlap_s')} s,"
                f" {report.get('transitions')} holder transitions)")

    out.append(f"| two live holders at once (stopped node dead while stopped) | {overlap_text(overlap)} |")
    out.append(f"| two holders at once, stopped node counted live | {overlap_text(overlap_live)} |")
    for w in warnings:
        out.append(f"| warning | {w} |")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description="the soak run's table")
    parser.add_argument("--dir", required=True)
    parser.add_argument("--min-life", type=float, default=600.0)
    parser.add_argument("--window", type=int, default=600)
    parser.add_argument("--header", default="")
    args = parser.parse_args()
    if args.window <= 0 or args.min_life < 0:
        parser.error("--window must be positive and --min-life not negative")
    try:
        print(analyze(args))
    except InputError as err:
        print(f"analyze.py: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
