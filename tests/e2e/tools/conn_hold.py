#!/usr/bin/env python3
"""Idle TCP connections, held open: a client that opens many and a backend that keeps them.

    conn_hold.py hold --target 10.201.0.100 --port 9000 --count 2000 --seconds 60
    conn_hold.py serve --name node1 --port 9100

`hold` opens COUNT connections at once (nonblocking), then keeps them open without sending
anything until SIGTERM/SIGINT or SECONDS have passed, whichever comes first; then it closes
them all. Every second, and at the end, it prints one JSON line:
    {"t": 3.0, "connected": N, "failed": N, "open": N, "closed_by_peer": N, "done": false}
`connected` counts handshakes that completed, `failed` those that did not (refused, timed out),
`closed_by_peer` connections the other side closed (EOF or reset) while held. Bytes received
are read and dropped. COUNT is capped at 20000 and SECONDS at 600 so a mistake stays bounded.

`serve` accepts on every address, answers each connection with NAME and a newline and keeps it
open until the peer closes it (at most --max connections; those over it are closed at once).
"""
import argparse
import errno
import json
import resource
import selectors
import signal
import socket
import sys
import time

MAX_COUNT = 20000
MAX_SECONDS = 600


def raise_nofile(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class Stop:
    requested = False


def on_signal(*_):
    Stop.requested = True


def hold(args) -> int:
    count = min(args.count, MAX_COUNT)
    seconds = min(args.seconds, MAX_SECONDS)
    raise_nofile(count + 64)
    family = socket.AF_INET6 if ":" in args.target else socket.AF_INET
    sel = selectors.DefaultSelector()
    connecting = {}
    connected = failed = closed_by_peer = 0
    held = {}
    start = time.monotonic()
    for _ in range(count):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex((args.target, args.port))
        if err not in (0, errno.EINPROGRESS):
            failed += 1
            s.close()
            continue
        connecting[s.fileno()] = s
        sel.register(s, selectors.EVENT_WRITE)

    def report(done: bool) -> None:
        print(json.dumps({"t": round(time.monotonic() - start, 3), "connected": connected,
                          "failed": failed, "open": len(held), "connecting": len(connecting),
                          "closed_by_peer": closed_by_peer, "done": done}), flush=True)

    next_report = start + 1.0
    deadline = start + seconds
    while not Stop.requested and time.monotonic() < deadline:
        now = time.monotonic()
        if connecting and now - start > args.connect_timeout:
            for s in connecting.values():
                sel.unregister(s)
                s.close()
                failed += 1
            connecting.clear()
        for key, mask in sel.select(timeout=0.1):
            s = key.fileobj
            fd = key.fd
            if fd in connecting:
                del connecting[fd]
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    sel.unregister(s)
                    s.close()
                    failed += 1
                    continue
                connected += 1
                held[fd] = s
                sel.modify(s, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                closed_by_peer += 1
                del held[fd]
                sel.unregister(s)
                s.close()
        if time.monotonic() >= next_report:
            next_report += 1.0
            report(False)
    for s in list(held.values()) + list(connecting.values()):
        s.close()
    held.clear()
    connecting.clear()
    report(True)
    return 0


def serve(args) -> int:
    raise_nofile(args.max + 64)
    try:
        lsock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        lsock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("::", args.port))
    except OSError:
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("0.0.0.0", args.port))
    lsock.listen(1024)
    lsock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ)
    answer = (args.name + "\n").encode()
    conns = 0
    print(f"conn_hold serve {args.name} listening on port {args.port}", flush=True)
    while not Stop.requested:
        for key, _ in sel.select(timeout=0.2):
            if key.fileobj is lsock:
                try:
                    c, _ = lsock.accept()
                except OSError:
                    continue
                if conns >= args.max:
                    c.close()
                    continue
                c.setblocking(False)
                try:
                    c.send(answer)
                except OSError:
                    c.close()
                    continue
                conns += 1
                sel.register(c, selectors.EVENT_READ)
                continue
            c = key.fileobj
            try:
                data = c.recv(4096)
            except OSError:
                data = b""
            if not data:
                sel.unregister(c)
                c.close()
                conns -= 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hold")
    h.add_argument("--target", required=True)
    h.add_argument("--port", type=int, required=True)
    h.add_argument("--count", type=int, default=1000)
    h.add_argument("--seconds", type=float, default=30)
    h.add_argument("--connect-timeout", type=float, default=3)
    s = sub.add_parser("serve")
    s.add_argument("--name", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--max", type=int, default=5000)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return hold(args) if args.cmd == "hold" else serve(args)


if __name__ == "__main__":
    sys.exit(main())
