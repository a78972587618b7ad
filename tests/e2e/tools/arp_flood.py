#!/usr/bin/env python3
"""Sends a bounded flood of ARP requests on one interface, for the flood test of the lab.

    arp_flood.py --interface eth0 --source 10.201.0.250 --targets 10.201.0.150-10.201.0.199
                 [--dst-mac MAC] [--rate FRAMES_PER_S] [--seconds S] [--max-frames N]

Runs inside the lab's client namespace (`ip netns exec`), so its frames stay on the lab's bridge
segment. Each frame is an ARP request "who-has TARGET tell SOURCE" from the interface's MAC to
--dst-mac (default broadcast), cycling through the targets, which must lie in the same /24 as
the source (other addresses of the lab subnet, never the VIP's segment outside the lab). Stops
after --seconds or --max-frames, whichever comes first. Prints one JSON line:
{"sent": N, "seconds": S, "rate": R, "send_errors": E}.
"""
import argparse
import ipaddress
import json
import socket
import struct
import sys
import time

ETH_P_ARP = 0x0806


def mac_bytes(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise ValueError(f"not a MAC address: {text!r}")
    return bytes(int(p, 16) for p in parts)


def own_mac(interface):
    with open(f"/sys/class/net/{interface}/address") as f:
        return mac_bytes(f.read().strip())


def arp_request(src_mac, dst_mac, source, target):
    eth = dst_mac + src_mac + struct.pack("!H", ETH_P_ARP)
    # RFC 826: Ethernet (1), IPv4 (0x0800), hlen 6, plen 4, request (1).
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)
    arp += src_mac + source.packed + b"\0" * 6 + target.packed
    return (eth + arp).ljust(60, b"\0")


def parse_targets(text, source):
    first, _, last = text.partition("-")
    lo = ipaddress.IPv4Address(first)
    hi = ipaddress.IPv4Address(last or first)
    if hi < lo:
        raise ValueError(f"empty target range {text!r}")
    subnet = ipaddress.IPv4Network(f"{source}/24", strict=False)
    targets = [ipaddress.IPv4Address(i) for i in range(int(lo), int(hi) + 1)]
    for t in targets:
        if t not in subnet or t == source:
            raise ValueError(f"target {t} is not another address of {subnet}")
    return targets


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--interface", default="eth0")
    ap.add_argument("--source", required=True)
    ap.add_argument("--targets", required=True)
    ap.add_argument("--dst-mac", default="ff:ff:ff:ff:ff:ff")
    ap.add_argument("--rate", type=float, default=30000)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--max-frames", type=int, default=500000)
    args = ap.parse_args()
    if not 0 < args.seconds <= 60 or not 0 < args.max_frames <= 5_000_000 or args.rate <= 0:
        sys.exit("arp_flood.py: --seconds must be in (0, 60], --max-frames in (0, 5000000]")
    try:
        source = ipaddress.IPv4Address(args.source)
        targets = parse_targets(args.targets, source)
        src_mac, dst_mac = own_mac(args.interface), mac_bytes(args.dst_mac)
    except (ValueError, OSError) as e:
        sys.exit(f"arp_flood.py: {e}")
    frames = [arp_request(src_mac, dst_mac, source, t) for t in targets]

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((args.interface, 0))
    batch = 64
    start = time.monotonic()
    deadline = start + args.seconds
    sent = errors = 0
    i = 0
    while sent + errors < args.max_frames:
        now = time.monotonic()
        if now >= deadline:
            break
        # Pace: never ahead of rate x elapsed time.
        ahead = (sent + errors) / args.rate - (now - start)
        if ahead > 0:
            time.sleep(min(ahead, 0.01))
            continue
        for _ in range(min(batch, args.max_frames - sent - errors)):
            try:
                sock.send(frames[i])
                sent += 1
            except OSError:
                errors += 1
            i = (i + 1) % len(frames)
    elapsed = time.monotonic() - start
    print(json.dumps({"sent": sent, "seconds": round(elapsed, 3),
                      "rate": round(sent / elapsed) if elapsed > 0 else 0, "send_errors": errors}))


if __name__ == "__main__":
    main()
