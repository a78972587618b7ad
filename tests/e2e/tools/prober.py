#!/usr/bin/env python3
"""TCP prober of the VIP: who answers, and how long the service was gone around an event.

    prober.py run --target VIP --port 8080 --out FILE [--interval 0.02] [--timeout 0.1]
        From the client namespace: one TCP connection to VIP:port every interval; each attempt
        reads the node_server answer (the node's name). Appends one line per attempt:
            <start> <end> ok <node>        or    <start> <end> fail <reason>
        (CLOCK_MONOTONIC seconds, shared by all namespaces). Stops on SIGTERM/SIGINT.

    prober.py once --target VIP --port 8080 [--timeout 1]
        One attempt; prints the answering node's name (exit 0) or the error (exit 1).

    prober.py analyze --event T FILE
        For an event at monotonic time T (e.g. the SIGKILL of the holder), prints JSON:
          old_node     the node answering last before T
          new_node     the first other node answering after T
          takeover_s   time from T to new_node's first answer (null if none)
          gap_s        the longest time without any answer that overlaps [T, takeover]: the outage
                       a client saw (from the last answer before it to the first answer after it)
          gap_start, gap_end, failures_after_event, attempts, old_answers_after_event
"""
import argparse
import json
import signal
import socket
import sys
import time


def attempt(target: str, port: int, timeout: float):
    """Returns (True, node) or (False, reason)."""
    try:
        with socket.create_connection((target, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(256)
                if not chunk:
                    break
                data += chunk
            name = data.decode(errors="replace").strip()
            if not name:
                return False, "empty"
            return True, name
    except socket.timeout:
        return False, "timeout"
    except ConnectionRefusedError:
        return False, "refused"
    except OSError as err:
        return False, (err.strerror or str(err)).replace(" ", "_")


def run(args) -> int:
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    with open(args.out, "a", buffering=1) as out:
        out.write(f"# prober target={args.target} port={args.port} interval={args.interval}\n")
        next_start = time.monotonic()
        while not stop:
            start = time.monotonic()
            ok, what = attempt(args.target, args.port, args.timeout)
            end = time.monotonic()
            out.write(f"{start:.6f} {end:.6f} {'ok' if ok else 'fail'} {what}\n")
            next_start += args.interval
            delay = next_start - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_start = time.monotonic()  # fell behind (a timeout): do not burst
    return 0


def once(args) -> int:
    ok, what = attempt(args.target, args.port, args.timeout)
    if ok:
        print(what)
        return 0
    print(f"no answer from {args.target}:{args.port}: {what}", file=sys.stderr)
    return 1


def load(path: str):
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            start, end, status, what = line.split(maxsplit=3)
            rows.append((float(start), float(end), status == "ok", what.strip()))
    return rows


def analyze(rows, event: float) -> dict:
    answers = [(end, what) for _, end, ok, what in rows if ok]
    before = [a for a in answers if a[0] < event]
    after = [a for a in answers if a[0] >= event]
    old = before[-1][1] if before else None
    takeover = next((a for a in after if a[1] != old), None)
    horizon = takeover[0] if takeover else (rows[-1][1] if rows else event)

    # The longest stretch without an answer that overlaps [event, horizon].
    gap, gap_start, gap_end = 0.0, None, None
    points = answers[:]
    if not takeover and rows:
        points.append((rows[-1][1], None))  # an outage still open at the end of the log
    for (t_a, _), (t_b, _) in zip(points, points[1:]):
        if t_b < event or t_a > horizon:
            continue
        if t_b - t_a > gap:
            gap, gap_start, gap_end = t_b - t_a, t_a, t_b
    return {
        "event": event,
        "old_node": old,
        "new_node": takeover[1] if takeover else None,
        "takeover_s": round(takeover[0] - event, 4) if takeover else None,
        "gap_s": round(gap, 4),
        "gap_start": gap_start,
        "gap_end": gap_end,
        "attempts": len(rows),
        "failures_after_event": sum(1 for _, end, ok, _ in rows if end >= event and not ok),
        "old_answers_after_event": sum(1 for t, n in after if n == old and t <= horizon),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="TCP prober of the VIP")
    sub = parser.add_subparsers(dest="mode", required=True)
    p_run = sub.add_parser("run")
    p_run.add_argument("--target", required=True)
    p_run.add_argument("--port", type=int, default=8080)
    p_run.add_argument("--out", required=True)
    p_run.add_argument("--interval", type=float, default=0.02)
    p_run.add_argument("--timeout", type=float, default=0.1)
    p_once = sub.add_parser("once")
    p_once.add_argument("--target", required=True)
    p_once.add_argument("--port", type=int, default=8080)
    p_once.add_argument("--timeout", type=float, default=1.0)
    p_an = sub.add_parser("analyze")
    p_an.add_argument("--event", type=float, required=True)
    p_an.add_argument("file")
    args = parser.parse_args()
    if args.mode == "run":
        return run(args)
    if args.mode == "once":
        return once(args)
    print(json.dumps(analyze(load(args.file), args.event)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
