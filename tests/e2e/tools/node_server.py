#!/usr/bin/env python3
"""A tiny TCP server that answers every connection with its node name and closes it.

One instance runs in each node namespace of the end-to-end lab, listening on all addresses
(IPv4 and IPv6), so a client connecting to the VIP learns which node holds it:

    node_server.py --name node1 --port 8080

The answer is the name followed by a newline. Stops on SIGTERM/SIGINT.
"""
import argparse
import signal
import socket
import sys


def listen(port: int, backlog: int) -> socket.socket:
    try:
        # One dual-stack socket accepts IPv4 (as ::ffff:a.b.c.d) and IPv6.
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("::", port))
    except OSError:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", port))
    sock.listen(backlog)
    return sock


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="the answer, e.g. node1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--backlog", type=int, default=1024)
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    answer = (args.name + "\n").encode()
    sock = listen(args.port, args.backlog)
    print(f"node_server {args.name} listening on port {args.port}", flush=True)
    try:
        while True:
            conn, _ = sock.accept()
            try:
                conn.sendall(answer)
            except OSError:
                pass  # the client went away first; nothing to do
            finally:
                conn.close()
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
