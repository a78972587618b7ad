#!/usr/bin/env python3
"""A passive BGP peer that records what a real router sends, as hex text files.

It listens, answers the router's OPEN with its own OPEN and a KEEPALIVE, and writes every message
it receives to OUT_DIR/<prefix>-<kind>.hex (one message per file, 16 octets a line). It touches
OUT_DIR/<prefix>.eor once End-of-RIB arrived for both unicast families, so that the driving
script can shut the router's session down and capture its NOTIFICATION, and exits after it.

usage: passive_peer.py LISTEN_ADDR PEER_AS ROUTER_ID OUT_DIR PREFIX [--no-as4]
Standard library only.
"""
import socket
import struct
import sys
import time

def open_message(my_as, router_id, as4):
    caps = b""
    caps += bytes([1, 4]) + struct.pack("!HBB", 1, 0, 1)        # MP IPv4 unicast
    caps += bytes([1, 4]) + struct.pack("!HBB", 2, 0, 1)        # MP IPv6 unicast
    caps += bytes([2, 0])                                       # route refresh
    caps += bytes([64, 2]) + struct.pack("!H", 120)             # graceful restart, aware
    if as4:
        caps += bytes([65, 4]) + struct.pack("!I", my_as)       # four-octet AS
    params = bytes([2, len(caps)]) + caps
    wire_as = my_as if my_as <= 0xFFFF else 23456
    body = struct.pack("!BHH4sB", 4, wire_as, 90, socket.inet_aton(router_id), len(params)) + params
    return header(1, body)

def header(kind, body):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), kind) + body

def write_hex(path, data):
    with open(path, "w") as f:
        for i in range(0, len(data), 16):
            f.write(" ".join("%02x" % b for b in data[i:i + 16]) + "\n")

def kind_of(msg, counters):
    kind = msg[18]
    names = {1: "open", 2: "update", 3: "notification", 4: "keepalive", 5: "route-refresh"}
    name = names.get(kind, "type%d" % kind)
    counters[name] = counters.get(name, 0) + 1
    return "%s-%d" % (name, counters[name])

def is_eor(msg):
    body = msg[19:]
    if body == b"\x00\x00\x00\x00":
        return "ipv4"
    # Only an empty MP_UNREACH_NLRI for IPv6 unicast: flags, type 15, length 3, AFI 2, SAFI 1.
    if len(body) == 4 + 6 and body[:2] == b"\x00\x00" and body[4] & 0x80 and body[5] == 15 \
            and body[7:10] == b"\x00\x02\x01":
        return "ipv6"
    return None

def main():
    listen, peer_as, router_id, out_dir, prefix = sys.argv[1:6]
    as4 = "--no-as4" not in sys.argv
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((listen, 179))
    srv.listen(1)
    srv.settimeout(60)
    conn, _ = srv.accept()
    conn.settimeout(60)
    buf = b""
    counters = {}
    eor = set()
    deadline = time.time() + 60
    while time.time() < deadline:
        chunk = conn.recv(65536)
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 19:
            length = struct.unpack("!H", buf[16:18])[0]
            if len(buf) < length:
                break
            msg, buf = buf[:length], buf[length:]
            name = kind_of(msg, counters)
            write_hex("%s/%s-%s.hex" % (out_dir, prefix, name), msg)
            if msg[18] == 1:
                conn.sendall(open_message(int(peer_as), router_id, as4) + header(4, b""))
            elif msg[18] == 4:
                conn.sendall(header(4, b""))
            elif msg[18] == 2:
                family = is_eor(msg)
                if family:
                    eor.add(family)
                    if eor == {"ipv4", "ipv6"}:
                        open("%s/%s.eor" % (out_dir, prefix), "w").close()
            elif msg[18] == 3:
                return 0
    return 1

if __name__ == "__main__":
    sys.exit(main())
