#!/usr/bin/env python3
"""Helpers of bench/services/run.sh (standard library only).

    services.py create --server HOST:PORT --ca FILE --token T --count N --first N0 [--name-prefix P]
                       [--network 10.202.0.0/22]
        Creates Services P-<i> (i = N0 .. N0+N-1) of type LoadBalancer in namespace default, each
        with the annotation kube-vip.io/loadbalancerIPs = the i-th usable address of the network
        (addresses whose last octet is 0 or 255 are skipped), over --parallel (16) keep-alive
        connections.
        Prints one line per Service: "<monotonic time just before the POST> <name> <address>".

    services.py address --network 10.202.0.0/22 --index I
        Prints the I-th usable address (the same numbering as create).

    services.py analyze --log FILE --node NODE --since T --count N [--address A]
        From an addr_holders.py watch log: the CLOCK_MONOTONIC time at which NODE held N distinct
        addresses (of those that appeared after T), or, with --address, the first time NODE held A
        after T. Prints the time, or nothing if it never happened.

    services.py drops --log FILE --node NODE --since T --until T2
        How often NODE lost an address it held between T and T2: "<removals> <addresses>".

    services.py mono --rfc3339 TIME
        Converts a wall-clock RFC 3339 time (a Lease's acquireTime) to CLOCK_MONOTONIC, using the
        offset between the two clocks now (they move together unless the clock is stepped).
"""
import argparse
import datetime
import http.client
import ipaddress
import json
import ssl
import sys
import threading
import time


def usable(network: str, index: int) -> str:
    net = ipaddress.ip_network(network)
    seen = -1
    for addr in net.hosts():
        if addr.packed[-1] in (0, 255):
            continue
        seen += 1
        if seen == index:
            return str(addr)
    raise SystemExit(f"{network} has fewer than {index + 1} usable addresses")


def create(args) -> int:
    host, port = args.server.rsplit(":", 1)
    context = ssl.create_default_context(cafile=args.ca)
    net = ipaddress.ip_network(args.network)
    addrs = [a for a in net.hosts() if a.packed[-1] not in (0, 255)]
    if args.first + args.count > len(addrs):
        raise SystemExit(f"{args.network} has only {len(addrs)} usable addresses")
    headers = {"Authorization": "Bearer " + args.token, "Content-Type": "application/json"}
    todo = list(range(args.first, args.first + args.count))
    lock = threading.Lock()
    errors = []

    # Several connections at once: each request waits for the server's delayed answer (its
    # headers and body leave in two writes), so one connection alone would take ~40 ms a Service.
    def worker(indexes):
        conn = http.client.HTTPSConnection(host, int(port), context=context, timeout=30)
        for i in indexes:
            name = f"{args.name_prefix}-{i:04d}"
            body = {
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": name, "namespace": "default",
                             "annotations": {"kube-vip.io/loadbalancerIPs": str(addrs[i])}},
                "spec": {"type": "LoadBalancer", "selector": {"app": name},
                         "ports": [{"name": "tcp-80", "port": 80, "targetPort": 8080,
                                    "protocol": "TCP"}]},
            }
            t = time.monotonic()
            conn.request("POST", "/api/v1/namespaces/default/services", json.dumps(body), headers)
            resp = conn.getresponse()
            data = resp.read()
            with lock:
                if resp.status != 201:
                    errors.append(f"POST {name}: HTTP {resp.status}: {data[:300]!r}")
                    return
                print(f"{t:.6f} {name} {addrs[i]}", flush=True)

    parallel = max(1, min(args.parallel, len(todo)))
    threads = [threading.Thread(target=worker, args=(todo[k::parallel],)) for k in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(errors[0])
    return 0


def analyze(args) -> int:
    held = set()
    with open(args.log) as f:
        for line in f:
            parts = line.split()
            if line.startswith("#") or len(parts) < 4 or parts[1] != args.node:
                continue
            t, what, addr = float(parts[0]), parts[2], parts[3]
            if t < args.since:
                continue
            if what == "present":
                if args.address:
                    if addr == args.address:
                        print(f"{t:.6f}")
                        return 0
                    continue
                held.add(addr)
                if len(held) >= args.count:
                    print(f"{t:.6f}")
                    return 0
            elif what == "absent":
                held.discard(addr)
    return 0


def drops(args) -> int:
    removals, addresses = 0, set()
    with open(args.log) as f:
        for line in f:
            parts = line.split()
            if line.startswith("#") or len(parts) < 4 or parts[1] != args.node:
                continue
            if parts[2] == "absent" and args.since <= float(parts[0]) <= args.until:
                removals += 1
                addresses.add(parts[3])
    print(f"{removals} {len(addresses)}")
    return 0


def mono(args) -> int:
    text = args.rfc3339.replace("Z", "+00:00")
    wall = datetime.datetime.fromisoformat(text).timestamp()
    print(f"{wall - (time.time() - time.monotonic()):.6f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="bench/services helpers")
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("create")
    p.add_argument("--server", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--name-prefix", default="bench")
    p.add_argument("--parallel", type=int, default=16, help="connections at once")
    p.add_argument("--network", default="10.202.0.0/22")
    p = sub.add_parser("address")
    p.add_argument("--network", default="10.202.0.0/22")
    p.add_argument("--index", type=int, required=True)
    p = sub.add_parser("analyze")
    p.add_argument("--log", required=True)
    p.add_argument("--node", required=True)
    p.add_argument("--since", type=float, required=True)
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--address", default="")
    p = sub.add_parser("drops")
    p.add_argument("--log", required=True)
    p.add_argument("--node", required=True)
    p.add_argument("--since", type=float, required=True)
    p.add_argument("--until", type=float, required=True)
    p = sub.add_parser("mono")
    p.add_argument("--rfc3339", required=True)
    args = parser.parse_args()
    if args.mode == "create":
        return create(args)
    if args.mode == "address":
        print(usable(args.network, args.index))
        return 0
    if args.mode == "analyze":
        return analyze(args)
    if args.mode == "drops":
        return drops(args)
    return mono(args)


if __name__ == "__main__":
    sys.exit(main())
