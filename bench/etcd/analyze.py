#!/usr/bin/env python3
"""Per-trial results and the summary table of the etcd election benchmark (bench/etcd/run.sh).

    analyze.py trial --prober FILE --holders FILE... --event T --end T --holder NODE
                     [--validity FILE] [--field KEY=VALUE...]
        One trial, from the raw logs cut to the window [event, end] (CLOCK_MONOTONIC seconds):
          takeover_s  event -> first answer from a node other than the holder (null if none)
          gap_s       the longest time the client got no answer, around the event
          failures    client connections that failed in the window
          moved       whether any other node had the VIP in the window, or the holder lost it
          drop_s      event -> the holder's VIP gone (null if it kept it)
          deadline_left_s   for a drop: the validity the holder last reported before it,
                      as seconds after the event (its own deadline: last keep-alive + TTL - TTL/4)
          late_s      drop - that deadline (positive: the VIP outlived the daemon's deadline)
        --field adds fixed keys; a value that parses as a number is stored as one.

    analyze.py table RESULTS.jsonl
        Markdown: for every TTL and scenario, min / median / max of the figures that scenario is
        about, and counts (moved, two live holders).

The prober log is tests/e2e/tools/prober.py's, the holder logs tests/e2e/tools/holders.py's, the
validity log lines "<monotonic> <seconds left | none>" sampled from `kube-vip status`.
"""
import argparse
import json
import os
import statistics
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e", "tools"))

import holders  # noqa: E402  (tests/e2e/tools/holders.py)
import prober  # noqa: E402  (tests/e2e/tools/prober.py)

SCENARIOS = [
    ("holder-kill", "(a) holder's kube-vip SIGKILLed", ["takeover_s", "gap_s"]),
    ("leader-kill-local", "(b) etcd leader killed: the member on the holder's node",
     ["gap_s", "failures"]),
    ("leader-kill-remote", "(b) etcd leader killed: a member on another node",
     ["gap_s", "failures"]),
    ("quorum-loss-leader", "(c) quorum lost, the surviving (holder's) member was the etcd leader",
     ["drop_s", "deadline_left_s", "late_s", "reheld_s"]),
    ("quorum-loss-follower", "(c) quorum lost, the surviving (holder's) member was a follower",
     ["drop_s", "deadline_left_s", "late_s", "reheld_s"]),
]


def number(text: str):
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def holder_windows(paths, start: float, end: float):
    """{node: [(from, to), ...]} the intervals within [start, end] in which each node held the VIP."""
    per_node = {}
    for t, node, what in holders.load_events(paths):
        if what in ("present", "absent"):  # not "renew" (a lifetime renewal) nor "end"
            per_node.setdefault(node, []).append((t, what))
    out = {}
    for node, events in per_node.items():
        held, since, spans = False, None, []
        for t, what in events:
            present = what == "present"
            if t <= start:
                held, since = present, start
                continue
            if t > end:
                break
            if present and not held:
                held, since = True, t
            elif not present and held:
                spans.append((since, t))
                held = False
        if held:
            spans.append((since, end))
        out[node] = spans
    return out


def load_validity(path: str):
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and parts[1] != "none":
                rows.append((float(parts[0]), float(parts[1])))
    return rows


def trial(args) -> dict:
    result = dict(f.split("=", 1) for f in args.field)
    result = {k: number(v) for k, v in result.items()}
    rows = [r for r in prober.load(args.prober) if args.event - 5 <= r[1] <= args.end]
    report = prober.analyze(rows, args.event)
    old = args.holder
    after = sorted((end, what) for _, end, ok, what in rows if ok and end >= args.event)
    takeover = next((a for a in after if a[1] != old), None)
    result["takeover_s"] = round(takeover[0] - args.event, 4) if takeover else None
    result["gap_s"] = report["gap_s"]
    result["failures"] = report["failures_after_event"]
    spans = holder_windows(args.holders, args.event, args.end)
    others = [n for n, s in spans.items() if n != old and s]
    mine = spans.get(old, [])
    kept = len(mine) == 1 and mine[0][0] <= args.event and mine[0][1] >= args.end
    result["moved"] = bool(others) or not kept
    drop = mine[0][1] if mine and mine[0][0] <= args.event and mine[0][1] < args.end else None
    result["drop_s"] = round(drop - args.event, 4) if drop is not None else None
    if args.validity and drop is not None:
        before = [(t, left) for t, left in load_validity(args.validity) if t < drop]
        if before:
            deadline = before[-1][0] + before[-1][1]
            result["deadline_left_s"] = round(deadline - args.event, 4)
            result["late_s"] = round(drop - deadline, 4)
    return result


def fmt(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if all(isinstance(v, int) for v in values):
        return f"{min(values)} / {statistics.median(values):g} / {max(values)}"
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


LABELS = {
    "takeover_s": "takeover (s)",
    "gap_s": "client gap (s)",
    "failures": "failed connections",
    "drop_s": "VIP dropped after the loss (s)",
    "deadline_left_s": "its validity deadline after the loss (s)",
    "late_s": "drop - deadline (s)",
    "reheld_s": "held again after restart (s)",
}


def table(path: str) -> str:
    trials = [json.loads(line) for line in open(path) if line.strip()]
    lines = []
    for ttl in sorted({t["ttl"] for t in trials if "ttl" in t}):
        lines.append(f"TTL {ttl} s (min / median / max)")
        lines.append("")
        lines.append("| scenario | trials | moved | figures |")
        lines.append("|---|---|---|---|")
        for key, label, metrics in SCENARIOS:
            these = [t for t in trials if t.get("ttl") == ttl and t.get("scenario") == key]
            if not these:
                continue
            moved = sum(1 for t in these if t.get("moved"))
            figures = "; ".join(f"{LABELS[m]} {fmt([t.get(m) for t in these])}" for m in metrics)
            lines.append(f"| {label} | {len(these)} | {moved}/{len(these)} | {figures} |")
        lines.append("")
    notes = [t["note"] for t in trials if "note" in t]
    lines += [f"note: {n}" for n in notes]
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("trial")
    p.add_argument("--prober", required=True)
    p.add_argument("--holders", nargs="+", required=True)
    p.add_argument("--event", type=float, required=True)
    p.add_argument("--end", type=float, required=True)
    p.add_argument("--holder", required=True)
    p.add_argument("--validity")
    p.add_argument("--field", action="append", default=[])
    t = sub.add_parser("table")
    t.add_argument("results")
    args = parser.parse_args()
    if args.mode == "trial":
        print(json.dumps(trial(args)))
    else:
        print(table(args.results), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
