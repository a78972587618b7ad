#!/usr/bin/env python3
"""A load balancer's backend for the end-to-end lab: tells each client who answered and whom it saw.

Answers every TCP connection and every UDP datagram on one port (IPv4 and IPv6) with
`<name> <peer address>`, so a client behind a VIP learns which backend served it and whether the
balancer rewrote its source address:

    lb_peer_server.py --name node2 --port 9000 [--udp-only]

TCP answers end with a newline and the connection is closed. Stops on SIGTERM/SIGINT; killing it
closes both sockets, so the host then answers UDP with ICMP port unreachable and TCP with a reset.
With --udp-only it serves UDP alone, as a DNS or syslog server might.
"""
import argparse
import signal
import socket
import sys
import threading


def dual_stack(kind: int, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6, kind)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("::", port))
    return sock


def peer(address) -> str:
    return address[0].removeprefix("::ffff:")


def serve_udp(sock: socket.socket, name: str) -> None:
    while True:
        _, address = sock.recvfrom(2048)
        sock.sendto(f"{name} {peer(address)}".encode(), address)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--udp-only", action="store_true")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    udp = dual_stack(socket.SOCK_DGRAM, args.port)
    if args.udp_only:
        print(f"lb_peer_server {args.name} listening on udp port {args.port}", flush=True)
        try:
            serve_udp(udp, args.name)
        except KeyboardInterrupt:
            return 0
    tcp = dual_stack(socket.SOCK_STREAM, args.port)
    tcp.listen(256)
    threading.Thread(target=serve_udp, args=(udp, args.name), daemon=True).start()
    print(f"lb_peer_server {args.name} listening on tcp and udp port {args.port}", flush=True)
    try:
        while True:
            conn, address = tcp.accept()
            try:
                conn.sendall(f"{args.name} {peer(address)}\n".encode())
            except OSError:
                pass  # the client went away first
            finally:
                conn.close()
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
