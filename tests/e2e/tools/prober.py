#!/usr/bin/env python3
"""TCP prober of the VIP: who answers, and how long the service was gone around an event.

    prober.py run --target VIP --port 8080 --out FILE [--interval 0.02] [--timeout 0.1]
        From the client namespace: one TCP connection to VIP:port every interval; each attempt
        reads the node_server answer (the node's name). Appends one line per attempt:
            <start> <end> ok <node>        or    <start> <end> fail <reason>
        (CLOCK_MONOTONIC seconds, shared by all namespaces). Stops on SIGTERM/SIGINT.
        With --parallel a new attempt starts every interval even while earlier ones still wait
        (each with its own --timeout); lines are written as attempts finish. Without it an
        attempt that times out delays the next, so an outage is only seen to the timeout's
        resolution; with it, to the interval's.

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
import errno
import json
import selectors
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
        if args.parallel:
            run_parallel(args, out, stop)
            return 0
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


def run_parallel(args, out, stop) -> None:
    """Starts a non-blocking connect every interval; finishes each attempt on the node_server's
    answer and EOF, on an error, or at its timeout."""
    family, _, _, _, addr = socket.getaddrinfo(args.target, args.port, type=socket.SOCK_STREAM)[0]
    sel = selectors.DefaultSelector()
    inflight = {}  # socket -> [start, deadline, data]

    def finish(sock, ok: bool, what: str) -> None:
        start = inflight.pop(sock)[0]
        sel.unregister(sock)
        sock.close()
        out.write(f"{start:.6f} {time.monotonic():.6f} {'ok' if ok else 'fail'} {what}\n")

    next_start = time.monotonic()
    while not stop:
        now = time.monotonic()
        if now >= next_start:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            inflight[sock] = [now, now + args.timeout, b""]
            sel.register(sock, selectors.EVENT_READ)
            err = sock.connect_ex(addr)
            if err not in (0, errno.EINPROGRESS):
                finish(sock, False, errno.errorcode.get(err, str(err)))
            next_start += args.interval
            if next_start < now:
                next_start = now + args.interval
        wake = min([next_start] + [v[1] for v in inflight.values()])
        try:
            events = sel.select(max(0.0, wake - time.monotonic()))
        except InterruptedError:
            continue
        for key, _ in events:
            sock = key.fileobj
            try:
                chunk = sock.recv(256)
            except BlockingIOError:
                continue
            except OSError as err:
                finish(sock, False, (err.strerror or str(err)).replace(" ", "_"))
                continue
            entry = inflight[sock]
            entry[2] += chunk
            if not chunk or entry[2].endswith(b"\n"):
                name = entry[2].decode(errors="replace").strip()
                finish(sock, bool(name), name or "empty")
        now = time.monotonic()
        for sock in [s for s, v in inflight.items() if v[1] <= now]:
            finish(sock, False, "timeout")
    for sock in list(inflight):
        sock.close()


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
    answers = sorted((end, what) for _, end, ok, what in rows if ok)  # --parallel: any order
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
    p_run.add_argument("--parallel", action="store_true",
                       help="start an attempt every interval even while earlier ones wait")
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
