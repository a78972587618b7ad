#!/usr/bin/env python3
"""Asks a TCP or UDP service COUNT times, each time from a new socket (so a new source port).

    lb_client.py tcp 10.201.0.100 80 --count 60

Prints one line per request: the answer's first line, or `refused` (TCP reset, or for UDP an
ICMP port unreachable), `unreachable` (host or network unreachable), `timeout` (nothing within
--timeout seconds) or `error <text>`. A UDP socket is connected, so only a reply from the address
asked (the VIP) is accepted. `--source-port P` binds request i to port P+i (no chance of reusing
an earlier request's port, and so its conntrack entry); with `--same-port` every request uses P,
as a resolver that keeps its port does.
"""
import argparse
import errno
import socket
import sys


def ask(proto: str, host: str, port: int, timeout: float, source_port: int) -> str:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    with socket.socket(family, kind) as sock:
        sock.settimeout(timeout)
        try:
            if source_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", source_port))
            sock.connect((host, port))
            if proto == "udp":
                sock.send(b"who?")
            data = sock.recv(2048)
        except ConnectionRefusedError:
            return "refused"
        except (socket.timeout, TimeoutError):
            return "timeout"
        except OSError as err:
            if err.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
                return "unreachable"
            return f"error {err}"
        text = data.decode(errors="replace").strip().splitlines()
        return text[0] if text else "empty"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("proto", choices=["tcp", "udp"])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--source-port", type=int, default=0)
    parser.add_argument("--same-port", action="store_true")
    args = parser.parse_args()
    for i in range(args.count):
        source_port = args.source_port + (0 if args.same_port or not args.source_port else i)
        print(ask(args.proto, args.host, args.port, args.timeout, source_port), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
