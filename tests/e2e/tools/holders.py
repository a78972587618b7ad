#!/usr/bin/env python3
"""The VIP-holder checker: records when each node holds the VIP and finds overlaps.

Python 3.11 cannot enter a namespace (no os.setns), so one watcher runs per node namespace
(`ip netns exec NS holders.py watch ...`); all use CLOCK_MONOTONIC, which namespaces share, so
their logs merge into one timeline.

    holders.py watch --node node1 --vip 10.201.0.100 --out FILE [--poll 0.01]
        Subscribes to the kernel's address events (RTNLGRP_IPV4_IFADDR / RTNLGRP_IPV6_IFADDR)
        and also dumps the addresses (RTM_GETADDR) every poll seconds, on ONE netlink socket so
        that dump answers and events are read in the order the kernel produced them. Writes a
        line at start and at every change:   <monotonic> <node> present|absent
        and "<monotonic> <node> end" on SIGTERM/SIGINT. With --renewals, also
        "<monotonic> <node> renew" for each kernel notification that the held VIP was updated
        (a lifetime renewal).

    holders.py overlap [--liveness FILE] [--tolerance S] FILE...
        Merges watcher logs and reports, as JSON, every interval in which two or more LIVE nodes
        held the VIP. A node is not live between "<t> <node> down" and "<t> <node> up" lines, or
        between "dead" and "alive" lines, of the liveness file (written by lab_link_down/up and
        lab_mark_dead/alive). Overlaps no longer than the tolerance are listed but ignored.
        Exits 1 if any overlap counted, 0 otherwise.

    holders.py timeline FILE...
        Prints the merged timeline, for reading.
"""
import argparse
import errno
import json
import os
import select
import signal
import socket
import struct
import sys
import time

NETLINK_ROUTE = 0
NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR = 0x10, 0x100
IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS = 1, 2, 8
IFA_F_DADFAILED = 0x08

NLMSG_HDR = struct.Struct("=IHHII")
IFADDRMSG = struct.Struct("=BBBBI")
RTATTR = struct.Struct("=HH")


def parse_addr(payload: bytes):
    """Returns (address bytes, flags) of an ifaddrmsg payload."""
    family, _, flags, _, _ = IFADDRMSG.unpack_from(payload)
    addrs, pos = {}, IFADDRMSG.size
    while pos + RTATTR.size <= len(payload):
        length, kind = RTATTR.unpack_from(payload, pos)
        if length < RTATTR.size:
            break
        value = payload[pos + RTATTR.size:pos + length]
        if kind in (IFA_ADDRESS, IFA_LOCAL):
            addrs[kind] = value
        elif kind == IFA_FLAGS and len(value) >= 4:
            flags = struct.unpack("=I", value[:4])[0]
        pos += (length + 3) & ~3
    # IFA_LOCAL is the interface's own address (IPv4 point-to-point puts the peer in IFA_ADDRESS).
    return addrs.get(IFA_LOCAL, addrs.get(IFA_ADDRESS)), flags


class Watcher:
    def __init__(self, node: str, vip: str, out, poll: float, renewals: bool = False):
        self.node, self.out, self.poll, self.renewals = node, out, poll, renewals
        self.family = socket.AF_INET6 if ":" in vip else socket.AF_INET
        self.vip = socket.inet_pton(self.family, vip)
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind((0, RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR))
        self.seq = 0
        self.dump_seen = None  # addresses matching the VIP in the dump being read
        self.state = None

    def record(self, present: bool) -> None:
        if present != self.state:
            self.state = present
            now = time.monotonic()
            self.out.write(f"{now:.6f} {self.node} {'present' if present else 'absent'}\n")
            self.out.flush()

    def request_dump(self) -> None:
        self.seq += 1
        body = IFADDRMSG.pack(self.family, 0, 0, 0, 0)
        hdr = NLMSG_HDR.pack(NLMSG_HDR.size + len(body), RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP,
                             self.seq, 0)
        self.sock.send(hdr + body)
        self.dump_seen = False

    def handle(self, data: bytes) -> None:
        pos = 0
        while pos + NLMSG_HDR.size <= len(data):
            length, kind, flags, seq, _ = NLMSG_HDR.unpack_from(data, pos)
            if length < NLMSG_HDR.size:
                break
            payload = data[pos + NLMSG_HDR.size:pos + length]
            is_dump = seq != 0 and seq == self.seq
            if kind == NLMSG_DONE and is_dump:
                self.record(bool(self.dump_seen))
                self.dump_seen = None
            elif kind == NLMSG_ERROR:
                code = struct.unpack_from("=i", payload)[0]
                if code:
                    raise OSError(-code, os.strerror(-code))
            elif kind in (RTM_NEWADDR, RTM_DELADDR):
                addr, aflags = parse_addr(payload)
                if addr == self.vip and not aflags & IFA_F_DADFAILED:
                    if is_dump:
                        self.dump_seen = True
                    else:
                        if self.renewals and kind == RTM_NEWADDR and self.state:
                            self.out.write(f"{time.monotonic():.6f} {self.node} renew\n")
                            self.out.flush()
                        self.record(kind == RTM_NEWADDR)
            pos += (length + 3) & ~3

    def run(self, stop) -> None:
        self.request_dump()
        next_dump = time.monotonic() + self.poll
        while not stop:
            timeout = max(0.0, next_dump - time.monotonic())
            try:
                ready, _, _ = select.select([self.sock], [], [], timeout)
                if ready:
                    self.handle(self.sock.recv(1 << 16))
            except InterruptedError:
                continue
            except OSError as err:
                if err.errno != errno.ENOBUFS:
                    raise
                # Events were lost: the next dump restores the truth.
                self.dump_seen = None
                next_dump = 0
            if time.monotonic() >= next_dump and self.dump_seen is None:
                self.request_dump()
                next_dump = time.monotonic() + self.poll


def watch(args) -> int:
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    with open(args.out, "a") as out:
        out.write(f"# holders node={args.node} vip={args.vip}\n")
        Watcher(args.node, args.vip, out, args.poll, args.renewals).run(stop)
        out.write(f"{time.monotonic():.6f} {args.node} end\n")
    return 0


def load_events(paths):
    events = []
    for path in paths:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and not line.startswith("#"):
                    events.append((float(parts[0]), parts[1], parts[2]))
    events.sort(key=lambda e: e[0])
    return events


def find_overlaps(holder_events, liveness_events, tolerance: float) -> dict:
    events = sorted(holder_events + liveness_events, key=lambda e: e[0])
    holding, down, dead = set(), set(), set()
    held_total, since = {}, {}
    overlaps, current = [], None  # current: [start, nodes]
    end_time = events[-1][0] if events else 0.0
    for t, node, what in events:
        if what == "present":
            holding.add(node)
            since[node] = t
        elif what in ("absent", "end"):
            if node in holding:
                held_total[node] = held_total.get(node, 0.0) + t - since.pop(node)
            holding.discard(node)
        elif what == "down":
            down.add(node)
        elif what == "up":
            down.discard(node)
        elif what == "dead":
            dead.add(node)
        elif what == "alive":
            dead.discard(node)
        live = sorted(n for n in holding if n not in down and n not in dead)
        if len(live) >= 2:
            if current is None:
                current = [t, set(live)]
            else:
                current[1].update(live)
        elif current is not None:
            overlaps.append((current[0], t, sorted(current[1])))
            current = None
    if current is not None:
        overlaps.append((current[0], end_time, sorted(current[1])))
    listed = [{"start": s, "end": e, "duration_s": round(e - s, 4), "nodes": n,
               "counted": e - s > tolerance} for s, e, n in overlaps]
    return {
        "overlaps": listed,
        "counted_overlaps": sum(1 for o in listed if o["counted"]),
        "max_overlap_s": max((o["duration_s"] for o in listed), default=0.0),
        "held_s": {n: round(v, 3) for n, v in sorted(held_total.items())},
        "transitions": sum(1 for e in holder_events if e[2] in ("present", "absent")),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="VIP-holder checker")
    sub = parser.add_subparsers(dest="mode", required=True)
    p_watch = sub.add_parser("watch")
    p_watch.add_argument("--node", required=True)
    p_watch.add_argument("--vip", required=True)
    p_watch.add_argument("--out", required=True)
    p_watch.add_argument("--poll", type=float, default=0.01)
    p_watch.add_argument("--renewals", action="store_true",
                         help="also log '<t> <node> renew' for every address update of the VIP")
    p_over = sub.add_parser("overlap")
    p_over.add_argument("--liveness")
    p_over.add_argument("--tolerance", type=float, default=0.0)
    p_over.add_argument("files", nargs="+")
    p_time = sub.add_parser("timeline")
    p_time.add_argument("files", nargs="+")
    args = parser.parse_args()

    if args.mode == "watch":
        return watch(args)
    if args.mode == "timeline":
        for t, node, what in load_events(args.files):
            print(f"{t:.6f} {node} {what}")
        return 0
    liveness = load_events([args.liveness]) if args.liveness and os.path.exists(args.liveness) else []
    report = find_overlaps(load_events(args.files), liveness, args.tolerance)
    print(json.dumps(report))
    if report["counted_overlaps"]:
        for o in report["overlaps"]:
            if o["counted"]:
                print(f"overlap: {' and '.join(o['nodes'])} held the VIP together for "
                      f"{o['duration_s']:.3f}s from {o['start']:.6f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
