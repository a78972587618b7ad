#!/usr/bin/env python3
"""Samples the resident memory, descriptors and threads of the kube-vip daemons once a second.

    sample.py --pids FILE --out FILE [--interval 1]

FILE holds one line `<node> <pid>` per node: the daemon running there now. The soak rewrites it
(atomically, by rename) whenever it restarts a daemon, so the sampler reads it afresh every time
and follows each node across restarts. For every listed process that still runs it appends

    <monotonic> <node> <pid> <VmRSS kB> <descriptors> <threads>

VmRSS and Threads from /proc/PID/status, descriptors = entries of /proc/PID/fd. A stopped
(SIGSTOP) process is sampled like any other: its figures are what it holds while it waits. A
process that exits between reading the file and reading /proc is skipped for that second, and so
is a PID whose command is not (yet) kube-vip.
Ticks are on a fixed schedule (a slow tick does not shift the next ones). Stops on SIGTERM/SIGINT.
"""
import argparse
import os
import signal
import sys
import time


def read_pids(path: str) -> list[tuple[str, int]]:
    try:
        with open(path, encoding="ascii") as f:
            rows = []
            for line in f:
                parts = line.split()
                if len(parts) == 2 and parts[1].isdigit():
                    rows.append((parts[0], int(parts[1])))
            return rows
    except FileNotFoundError:
        return []


def sample(pid: int):
    """Returns (rss_kb, fds, threads) or None if the process is gone (or a zombie) or is not yet
    kube-vip (a restarted daemon's PID belongs to `ip netns exec` until that execs it)."""
    try:
        with open(f"/proc/{pid}/comm", encoding="ascii", errors="replace") as f:
            if f.read().strip() != "kube-vip":
                return None
        rss = threads = None
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
        if rss is None or threads is None:  # a zombie has no VmRSS
            return None
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        return rss, fds, threads
    except (FileNotFoundError, ProcessLookupError):
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description="per-second RSS, descriptors, threads")
    parser.add_argument("--pids", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    with open(args.out, "a", encoding="ascii") as out:
        tick = time.monotonic()
        while not stop:
            now = time.monotonic()
            for node, pid in read_pids(args.pids):
                figures = sample(pid)
                if figures is not None:
                    out.write(f"{now:.3f} {node} {pid} {figures[0]} {figures[1]} {figures[2]}\n")
            out.flush()
            tick += args.interval
            delay = tick - time.monotonic()
            if delay < 0:  # fell behind: realign instead of catching up in a burst
                tick = time.monotonic()
                continue
            time.sleep(delay)
    return 0


if __name__ == "__main__":
    sys.exit(main())
