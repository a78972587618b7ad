#!/usr/bin/env python3
"""Reads the results of a chaos run (one directory per scenario, written by scenario.sh) and prints
a markdown report: per scenario, the trials, how often the VIP moved, the takeover times, the
longest service gap, failed probes, two-holder intervals and crashes.

    report.py RUN_DIR [--out FILE]

Definitions (times from the tools' CLOCK_MONOTONIC logs):
  takeover      from the fault's start to the first answer on VIP:8080 from a node other than the
                one answering before it (trials in which the VIP moved)
  service gap   the longest time without an answer, overlapping the trial, through the balancer
                (VIP:9000, raft clusters) or from the holder (VIP:8080, Lease cluster); a trial
                lasts from its fault's start to the next trial's (or the end of the scenario)
  failed        probe attempts through that port that failed inside the trials
  two holders   intervals in which two live nodes held the VIP (holders.py; a node with its link
                down is not live, every other node is, also a frozen or partitioned one)
  crashes       a daemon that exited without being stopped, and every sanitizer report, assertion
                or fatal signal found in the daemons' logs
Exit status 1 when any scenario has a two-holder interval, a crash, or no result.
"""
import argparse
import glob
import json
import os
import re
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e", "tools"))
import holders  # noqa: E402  (the checker's own overlap logic)
import prober  # noqa: E402  (the prober's own takeover analysis)

CRASH_PATTERN = re.compile(r"AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|"
                           r"runtime error:|Assertion .* failed|terminate called|"
                           r"Segmentation fault|stack smashing")


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def load_probes(path):
    return prober.load(path) if os.path.exists(path) else []


def longest_gap(rows, start, end):
    """The longest stretch without an answer that overlaps [start, end]."""
    answers = sorted(stop for _, stop, ok, _ in rows if ok)
    points = [t for t in answers if t < start][-1:] + [t for t in answers if start <= t <= end]
    later = [t for t in answers if t > end][:1]
    points += later if later else [end]
    return max((b - a for a, b in zip(points, points[1:])), default=0.0)


def failures(rows, start, end):
    return sum(1 for begin, _, ok, _ in rows if not ok and start <= begin < end)


def sanitizer_lines(directory):
    found = []
    for log in sorted(glob.glob(os.path.join(directory, "*.kubevip.log"))):
        with open(log, errors="replace") as f:
            for line in f:
                if CRASH_PATTERN.search(line):
                    found.append(f"{os.path.basename(log)}: {line.strip()[:200]}")
    return found


def scenario_report(directory):
    meta_path = os.path.join(directory, "scenario.json")
    trials = read_jsonl(os.path.join(directory, "trials.jsonl"))
    result = {"name": os.path.basename(directory.rstrip("/")), "complete": os.path.exists(meta_path),
              "trials": len(trials)}
    if result["complete"]:
        with open(meta_path) as f:
            result.update(json.load(f))
    holder_rows = load_probes(os.path.join(directory, "prober.tsv"))
    service_rows = load_probes(os.path.join(directory, "lbprober.tsv")) or holder_rows
    end_of_run = max((stop for _, stop, _, _ in holder_rows), default=0.0)

    takeovers, gaps, failed, moved, surprises = [], [], 0, 0, []
    for i, trial in enumerate(trials):
        start = trial["event"]
        end = trials[i + 1]["event"] if i + 1 < len(trials) else max(end_of_run, trial["steady"])
        window = [r for r in holder_rows if start - 2.0 <= r[1] <= end]
        analysis = prober.analyze(window, start)
        if analysis["takeover_s"] is not None:
            moved += 1
            takeovers.append(analysis["takeover_s"])
        if trial["expect_move"] is True and analysis["takeover_s"] is None:
            surprises.append(f"trial {trial['trial']}: the VIP stayed ({trial['note']})")
        if trial["expect_move"] is False and analysis["takeover_s"] is not None:
            surprises.append(f"trial {trial['trial']}: the VIP moved to {analysis['new_node']} "
                             f"({trial['victim']} {trial['note']})")
        gaps.append(longest_gap(service_rows, start, end))
        failed += failures(service_rows, start, end)

    holder_logs = sorted(glob.glob(os.path.join(directory, "holders.*.tsv")))
    liveness = os.path.join(directory, "liveness.log")
    overlap = holders.find_overlaps(holders.load_events(holder_logs),
                                    holders.load_events([liveness]) if os.path.exists(liveness) else [],
                                    0.0)
    crashes = [f"{c['node']}: {c['what']}" for c in read_jsonl(os.path.join(directory, "crashes.jsonl"))]
    crashes += sanitizer_lines(directory)
    result.update({
        "moved": moved,
        "takeover": takeovers,
        "gap_max": max(gaps, default=None),
        "failed_probes": failed,
        "two_holder_intervals": overlap["counted_overlaps"],
        "two_holder_max_s": overlap["max_overlap_s"],
        "overlaps": overlap["overlaps"],
        "crashes": crashes,
        "surprises": surprises,
    })
    return result


def seconds(value):
    return "–" if value is None else f"{value:.2f}"


def render(results):
    lines = ["| scenario | trials | moved | takeover min / median / max (s) | longest gap (s) "
             "| failed probes | two-holder intervals | crashes |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        t = r["takeover"]
        takeover = (f"{min(t):.2f} / {statistics.median(t):.2f} / {max(t):.2f}" if t else "–")
        trials = str(r["trials"]) + ("" if r["complete"] else " (incomplete)")
        lines.append(f"| {r['name']} | {trials} | {r['moved']} | {takeover} | {seconds(r['gap_max'])} "
                     f"| {r['failed_probes']} | {r['two_holder_intervals']} | {len(r['crashes'])} |")
    notes = []
    for r in results:
        for o in r["overlaps"]:
            if o["counted"]:
                notes.append(f"- **{r['name']}: two live holders** {o['nodes']} for {o['duration_s']} s "
                             f"at {o['start']:.3f}")
        notes += [f"- **{r['name']}: crash** {c}" for c in r["crashes"]]
        notes += [f"- {r['name']}: {s}" for s in r["surprises"]]
        if not r["complete"]:
            notes.append(f"- **{r['name']}: did not finish** (see its scenario log)")
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description="chaos run report")
    parser.add_argument("run_dir")
    parser.add_argument("--out")
    args = parser.parse_args()
    order_file = os.path.join(args.run_dir, "order.txt")
    if os.path.exists(order_file):
        with open(order_file) as f:
            directories = [os.path.join(args.run_dir, line.strip()) for line in f if line.strip()]
    else:
        directories = sorted(d for d in glob.glob(os.path.join(args.run_dir, "*")) if os.path.isdir(d))
    if not directories:
        print(f"report.py: no scenario results in {args.run_dir}", file=sys.stderr)
        return 1
    results = [scenario_report(d) for d in directories]
    text = render(results)
    sys.stdout.write(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
        with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
            json.dump(results, f, indent=1)
    bad = any(r["two_holder_intervals"] or r["crashes"] or not r["complete"] for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
