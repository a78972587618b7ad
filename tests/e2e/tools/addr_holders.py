#!/usr/bin/env python3
"""The holder checker for many addresses at once (Service addresses), built on holders.py.

holders.py follows one VIP; a Services test has one address per Service, appearing and
disappearing as Services come and go. This watcher follows every address inside the given
networks, and the overlap check runs holders.py's per-VIP logic once per address.

    addr_holders.py watch --node node1 --cidr 10.201.0.192/26 [--cidr ...] --out FILE [--poll 0.01]
        Address events and RTM_GETADDR dumps on ONE netlink socket (as holders.py watch), so that
        both are read in the order the kernel produced them. Writes
            <monotonic> <node> ready                  after the first dump
            <monotonic> <node> present|absent <addr>  at every change
            <monotonic> <node> end                    on SIGTERM/SIGINT

    addr_holders.py overlap [--liveness FILE] [--tolerance S] FILE...
        For every address seen, the intervals in which two or more LIVE nodes held it (liveness
        as in holders.py: down/up, dead/alive lines). JSON on stdout:
            {"addresses": {addr: holders.py report}, "counted_overlaps": N, "max_overlap_s": S}
        Exits 1 if any overlap counted.

    addr_holders.py held --node node1 FILE
        The addresses the node holds at the end of its log, one a line (for reading).
"""
import argparse
import errno
import ipaddress
import json
import os
import select
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import holders  # noqa: E402  (same folder)

# Set by the kernel on the messages of a dump during which the address table changed: the dump may
# lack addresses that were there all along, so it must not be read as "they are gone".
NLM_F_DUMP_INTR = 0x10


class AddressSetWatcher:
    def __init__(self, node: str, networks, out, poll: float):
        self.node, self.out, self.poll = node, out, poll
        self.networks = networks
        families = {n.version for n in networks}
        self.family = (socket.AF_UNSPEC if len(families) > 1
                       else socket.AF_INET6 if families == {6} else socket.AF_INET)
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, holders.NETLINK_ROUTE)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((0, holders.RTMGRP_IPV4_IFADDR | holders.RTMGRP_IPV6_IFADDR))
        self.seq = 0
        self.dump_seen = None  # addresses in the dump being read, None when no dump is running
        self.dump_intr = False
        self.held = set()
        self.ready = False

    def wanted(self, raw: bytes):
        if raw is None or len(raw) not in (4, 16):
            return None
        addr = ipaddress.ip_address(raw)
        return str(addr) if any(addr in n for n in self.networks) else None

    def write(self, what: str, addr: str = "") -> None:
        self.out.write(f"{time.monotonic():.6f} {self.node} {what}{' ' + addr if addr else ''}\n")
        self.out.flush()

    def set_held(self, addr: str, present: bool) -> None:
        if present and addr not in self.held:
            self.held.add(addr)
            self.write("present", addr)
        elif not present and addr in self.held:
            self.held.discard(addr)
            self.write("absent", addr)

    def request_dump(self) -> None:
        self.seq += 1
        body = holders.IFADDRMSG.pack(self.family, 0, 0, 0, 0)
        hdr = holders.NLMSG_HDR.pack(holders.NLMSG_HDR.size + len(body), holders.RTM_GETADDR,
                                     holders.NLM_F_REQUEST | holders.NLM_F_DUMP, self.seq, 0)
        self.sock.send(hdr + body)
        self.dump_seen = set()
        self.dump_intr = False

    def handle(self, data: bytes) -> None:
        pos = 0
        while pos + holders.NLMSG_HDR.size <= len(data):
            length, kind, flags, seq, _ = holders.NLMSG_HDR.unpack_from(data, pos)
            if length < holders.NLMSG_HDR.size:
                break
            payload = data[pos + holders.NLMSG_HDR.size:pos + length]
            is_dump = seq != 0 and seq == self.seq
            if is_dump and flags & NLM_F_DUMP_INTR:
                self.dump_intr = True
            if kind == holders.NLMSG_DONE and is_dump and self.dump_intr:
                self.dump_seen = None  # inconsistent: the next dump decides
            elif kind == holders.NLMSG_DONE and is_dump and self.dump_seen is not None:
                for addr in sorted(self.held - self.dump_seen):
                    self.set_held(addr, False)
                for addr in sorted(self.dump_seen - self.held):
                    self.set_held(addr, True)
                self.dump_seen = None
                if not self.ready:
                    self.ready = True
                    self.write("ready")
            elif kind == holders.NLMSG_ERROR:
                code = struct.unpack_from("=i", payload)[0]
                if code == -errno.EBUSY and is_dump:
                    self.dump_seen = None  # asked while an interrupted dump still ran: ask again
                elif code:
                    raise OSError(-code, os.strerror(-code))
            elif kind in (holders.RTM_NEWADDR, holders.RTM_DELADDR):
                raw, aflags = holders.parse_addr(payload)
                addr = self.wanted(raw)
                if addr is not None and not aflags & holders.IFA_F_DADFAILED:
                    if is_dump:
                        if self.dump_seen is not None:
                            self.dump_seen.add(addr)
                    else:
                        self.set_held(addr, kind == holders.RTM_NEWADDR)
            pos += (length + 3) & ~3

    def run(self, stop) -> None:
        self.request_dump()
        next_dump = time.monotonic() + self.poll
        while not stop:
            timeout = max(0.0, next_dump - time.monotonic())
            try:
                ready, _, _ = select.select([self.sock], [], [], timeout)
                if ready:
                    self.handle(self.sock.recv(1 << 20))
            except InterruptedError:
                continue
            except OSError as err:
                if err.errno != errno.ENOBUFS:
                    raise
                self.dump_seen = None  # events were lost: the next dump restores the truth
                next_dump = 0
            if time.monotonic() >= next_dump and self.dump_seen is None:
                self.request_dump()
                next_dump = time.monotonic() + self.poll


def watch(args) -> int:
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    networks = [ipaddress.ip_network(c, strict=False) for c in args.cidr]
    with open(args.out, "a") as out:
        out.write(f"# addr_holders node={args.node} cidr={','.join(args.cidr)}\n")
        watcher = AddressSetWatcher(args.node, networks, out, args.poll)
        watcher.run(stop)
        watcher.write("end")
    return 0


def load(paths):
    """(per-address events {addr: [(t, node, what)]}, end events [(t, node, 'end')])."""
    per_addr, ends = {}, []
    for path in paths:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if line.startswith("#") or len(parts) < 3:
                    continue
                t, node, what = float(parts[0]), parts[1], parts[2]
                if what in ("present", "absent") and len(parts) >= 4:
                    per_addr.setdefault(parts[3], []).append((t, node, what))
                elif what == "end":
                    ends.append((t, node, what))
    return per_addr, ends


def overlap(args) -> int:
    per_addr, ends = load(args.files)
    liveness = (holders.load_events([args.liveness])
                if args.liveness and os.path.exists(args.liveness) else [])
    reports = {}
    for addr, events in sorted(per_addr.items()):
        # A watcher's "end" closes whatever its node still held.
        reports[addr] = holders.find_overlaps(sorted(events + ends), liveness, args.tolerance)
    total = sum(r["counted_overlaps"] for r in reports.values())
    worst = max((r["max_overlap_s"] for r in reports.values()), default=0.0)
    print(json.dumps({"addresses": reports, "counted_overlaps": total, "max_overlap_s": worst}))
    if total:
        for addr, r in reports.items():
            for o in r["overlaps"]:
                if o["counted"]:
                    print(f"overlap: {' and '.join(o['nodes'])} held {addr} together for "
                          f"{o['duration_s']:.3f}s from {o['start']:.6f}", file=sys.stderr)
        return 1
    return 0


def held(args) -> int:
    per_addr, _ = load([args.file])
    for addr, events in sorted(per_addr.items()):
        mine = [e for e in events if e[1] == args.node]
        if mine and mine[-1][2] == "present":
            print(addr)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="holder checker for many addresses")
    sub = parser.add_subparsers(dest="mode", required=True)
    p_watch = sub.add_parser("watch")
    p_watch.add_argument("--node", required=True)
    p_watch.add_argument("--cidr", required=True, action="append")
    p_watch.add_argument("--out", required=True)
    p_watch.add_argument("--poll", type=float, default=0.01)
    p_over = sub.add_parser("overlap")
    p_over.add_argument("--liveness")
    p_over.add_argument("--tolerance", type=float, default=0.0)
    p_over.add_argument("files", nargs="+")
    p_held = sub.add_parser("held")
    p_held.add_argument("--node", required=True)
    p_held.add_argument("file")
    args = parser.parse_args()
    if args.mode == "watch":
        return watch(args)
    if args.mode == "overlap":
        return overlap(args)
    return held(args)


if __name__ == "__main__":
    sys.exit(main())
