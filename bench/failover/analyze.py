#!/usr/bin/env python3
"""Turns the raw logs of the failover benchmark into per-trial results and the summary table.

    analyze.py trial --prober FILE --event T --end T --liveness FILE --holders FILE... \
                     [--tolerance S] [--field KEY=VALUE...]
        One trial: the prober log (tests/e2e/tools/prober.py run) analysed for the event at
        monotonic time T, and the VIP-holder logs (tests/e2e/tools/holders.py watch) cut to the
        window [event, end] and checked for two LIVE nodes holding the VIP at once (the liveness
        file says when a node was down). Prints one JSON object; --field adds fixed keys
        (system, event, trial, ...); a value that parses as a number is stored as one.

    analyze.py table RESULTS.jsonl
        The Markdown summary of every trial in RESULTS.jsonl (one JSON object a line): for each
        event and system the takeover and service gap (min / median / max), the trials in which
        two live nodes held the VIP, then kube-vip's medians divided by keepalived's, then the
        product targets with the measured value and whether it was met.

Definitions (the same for every system, measured by the same client prober):
  takeover  time from the event to the first answer from a node other than the old holder;
  gap       the longest stretch without any answer between the last answer before the event
            and that first new answer (from prober.py analyze);
  two live holders   any interval, in [event, end], in which two nodes whose link was up both had
            the VIP on their interface (holders.py find_overlaps, tolerance 0 by default).
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

SYSTEM_ORDER = ["kube-vip", "keepalived-1", "keepalived-0.1"]
SYSTEM_LABEL = {
    "kube-vip": "kube-vip",
    "keepalived-1": "keepalived advert_int 1",
    "keepalived-0.1": "keepalived advert_int 0.1",
}
EVENT_ORDER = ["node-lost", "process-kill", "clean-stop"]
EVENT_LABEL = {
    "node-lost": "(a) node lost (SIGKILL + link down)",
    "process-kill": "(b) process SIGKILLed, node alive",
    "clean-stop": "(c) clean stop (SIGTERM)",
}


def window_holder_events(paths, start: float, end: float):
    """Holder events cut to [start, end]: each node's state at `start` becomes an event at `start`,
    and a node still holding at `end` gets an "end" there, so find_overlaps sees a closed window."""
    per_node = {}
    for t, node, what in holders.load_events(paths):
        per_node.setdefault(node, []).append((t, node, what))
    out = []
    for node, events in per_node.items():
        state = "absent"
        for t, _, what in events:
            if t >= start:
                break
            state = "present" if what == "present" else "absent"
        out.append((start, node, state))
        holding = state == "present"
        for t, _, what in events:
            if start <= t <= end:
                out.append((t, node, what))
                holding = what == "present"
        if holding:
            out.append((end, node, "end"))
    return out


def parse_field(text: str):
    key, _, value = text.partition("=")
    try:
        return key, (float(value) if "." in value else int(value))
    except ValueError:
        return key, value


def cmd_trial(args) -> int:
    result = dict(parse_field(f) for f in args.field)
    report = prober.analyze(prober.load(args.prober), args.event)
    result.update({
        "old_node": report["old_node"],
        "new_node": report["new_node"],
        "takeover_s": report["takeover_s"],
        "gap_s": report["gap_s"] if report["takeover_s"] is not None else None,
        "failed_probes": report["failures_after_event"],
    })
    liveness = []
    if args.liveness and os.path.exists(args.liveness):
        liveness = [e for e in holders.load_events([args.liveness]) if e[0] <= args.end]
    events = window_holder_events(args.holders, args.event, args.end)
    overlap = holders.find_overlaps(events, liveness, args.tolerance)
    counted = [o for o in overlap["overlaps"] if o["counted"]]
    result.update({
        "two_live_holders": bool(counted),
        "overlap_s": round(sum(o["duration_s"] for o in counted), 4),
        "overlap_nodes": sorted({n for o in counted for n in o["nodes"]}),
        "window_s": round(args.end - args.event, 3),
    })
    print(json.dumps(result))
    return 0


def fmt(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def triple(values) -> str:
    if not values:
        return "no takeover"
    return f"{fmt(min(values))} / {fmt(statistics.median(values))} / {fmt(max(values))}"


def ratio(a, b) -> str:
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}"


def summarize(rows):
    """{(event, system): {...}} with the lists and medians of one cell of the table."""
    cells = {}
    for r in rows:
        c = cells.setdefault((r["event"], r["system"]), {"takeover": [], "gap": [], "trials": 0,
                                                          "overlap": 0, "overlap_s": 0.0,
                                                          "missed": 0, "exit": []})
        c["trials"] += 1
        if r.get("takeover_s") is None:
            c["missed"] += 1
        else:
            c["takeover"].append(r["takeover_s"])
            c["gap"].append(r["gap_s"])
        if r.get("two_live_holders"):
            c["overlap"] += 1
            c["overlap_s"] = max(c["overlap_s"], r.get("overlap_s", 0.0))
        if r.get("exit_code") not in (None, ""):
            c["exit"].append(r["exit_code"])
    for c in cells.values():
        c["takeover_med"] = statistics.median(c["takeover"]) if c["takeover"] else None
        c["gap_med"] = statistics.median(c["gap"]) if c["gap"] else None
    return cells


def target_lines(cells):
    """The product targets, each with what was measured."""
    def med(event, system, key):
        c = cells.get((event, system))
        return c[key] if c else None

    def line(name, value, ok):
        if value is None:
            return f"| {name} | not measured | – |"
        return f"| {name} | {value} | {'met' if ok else '**missed**'} |"

    out = ["| target | measured | |", "|---|---|---|"]
    kv = med("node-lost", "kube-vip", "takeover_med")
    ka = med("node-lost", "keepalived-1", "takeover_med")
    out.append(line("node lost: kube-vip takeover median ≤ 0.8 s", None if kv is None else
                    f"{kv:.3f} s", kv is not None and kv <= 0.8))
    out.append(line("node lost: kube-vip takeover ≤ 1/3 of keepalived advert_int 1",
                    None if kv is None or ka is None else f"{kv / ka:.2f}",
                    kv is not None and ka is not None and kv <= ka / 3))
    g = med("process-kill", "kube-vip", "gap_med")
    out.append(line("process kill: kube-vip service gap median ≤ 0.5 s",
                    None if g is None else f"{g:.3f} s", g is not None and g <= 0.5))
    t = med("clean-stop", "kube-vip", "takeover_med")
    out.append(line("clean stop: kube-vip handover median ≤ 100 ms",
                    None if t is None else f"{t * 1000:.0f} ms", t is not None and t <= 0.1))
    kv_cells = [(e, c) for (e, s), c in cells.items() if s == "kube-vip"]
    if kv_cells:
        bad = [f"{e}: {c['overlap']}/{c['trials']}" for e, c in kv_cells if c["overlap"]]
        missed = [f"{e}: {c['missed']}" for e, c in kv_cells if c["missed"]]
        out.append(line("kube-vip: no trial with two live holders",
                        "none" if not bad else ", ".join(bad), not bad))
        if missed:
            out.append(line("kube-vip: every trial had a takeover", ", ".join(missed), False))
    return out


def cmd_table(args) -> int:
    with open(args.results) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    notes = [r for r in rows if "note" in r]
    rows = [r for r in rows if "note" not in r]
    cells = summarize(rows)
    events = [e for e in EVENT_ORDER if any(k[0] == e for k in cells)]
    systems = [s for s in SYSTEM_ORDER if any(k[1] == s for k in cells)]
    out = ["| event | system | trials | takeover s (min / median / max) | "
           "service gap s (min / median / max) | trials with two live holders |",
           "|---|---|---|---|---|---|"]
    for e in events:
        for s in systems:
            c = cells.get((e, s))
            if not c:
                continue
            trials = str(c["trials"]) + (f" ({c['missed']} without takeover)" if c["missed"] else "")
            two = f"{c['overlap']}/{c['trials']}"
            if c["overlap"]:
                two += f" (up to {c['overlap_s']:.2f} s)"
            out.append(f"| {EVENT_LABEL[e]} | {SYSTEM_LABEL[s]} | {trials} | {triple(c['takeover'])} "
                       f"| {triple(c['gap'])} | {two} |")
    if "kube-vip" in systems and any(s.startswith("keepalived") for s in systems):
        out += ["", "| event | takeover: kube-vip / keepalived 1 | kube-vip / keepalived 0.1 | "
                "gap: kube-vip / keepalived 1 | kube-vip / keepalived 0.1 |",
                "|---|---|---|---|---|"]
        for e in events:
            kv = cells.get((e, "kube-vip"), {})
            k1 = cells.get((e, "keepalived-1"), {})
            k01 = cells.get((e, "keepalived-0.1"), {})
            out.append(f"| {EVENT_LABEL[e]} "
                       f"| {ratio(kv.get('takeover_med'), k1.get('takeover_med'))} "
                       f"| {ratio(kv.get('takeover_med'), k01.get('takeover_med'))} "
                       f"| {ratio(kv.get('gap_med'), k1.get('gap_med'))} "
                       f"| {ratio(kv.get('gap_med'), k01.get('gap_med'))} |")
    if "kube-vip" in systems:
        out += [""] + target_lines(cells)
    for n in notes:
        out += ["", f"Note ({SYSTEM_LABEL.get(n['system'], n['system'])}, {n['event']}): {n['note']}"]
    print("\n".join(out))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    p_trial = sub.add_parser("trial")
    p_trial.add_argument("--prober", required=True)
    p_trial.add_argument("--event", type=float, required=True)
    p_trial.add_argument("--end", type=float, required=True)
    p_trial.add_argument("--liveness")
    p_trial.add_argument("--holders", nargs="+", required=True)
    p_trial.add_argument("--tolerance", type=float, default=0.0)
    p_trial.add_argument("--field", action="append", default=[])
    p_table = sub.add_parser("table")
    p_table.add_argument("results")
    args = parser.parse_args()
    return cmd_trial(args) if args.mode == "trial" else cmd_table(args)


if __name__ == "__main__":
    sys.exit(main())
