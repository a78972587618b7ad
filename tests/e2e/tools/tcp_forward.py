#!/usr/bin/env python3
"""A TCP forwarder: accepts on one address and pipes each connection to another.

    tcp_forward.py --listen 127.0.0.1:6443 --to 10.201.0.250:6443

Run inside a node's namespace it stands for that node's own API server on 127.0.0.1:6443 (in the
in-cluster tests all nodes share one test API server, as control-plane nodes share etcd). Killing
it ends every forwarded connection at once, as a crashed API server would. Standard library only.
"""

import argparse
import socket
import sys
import threading


def address(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(conn, target):
    try:
        upstream = socket.create_connection(target, timeout=5)
        upstream.settimeout(None)
    except OSError as e:
        sys.stderr.write("cannot reach %s:%d: %s\n" % (target[0], target[1], e))
        conn.close()
        return
    threading.Thread(target=pipe, args=(upstream, conn), daemon=True).start()
    pipe(conn, upstream)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", required=True, type=address)
    p.add_argument("--to", required=True, type=address)
    args = p.parse_args()
    listener = socket.socket(socket.AF_INET6 if ":" in args.listen[0] else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(args.listen)
    listener.listen(64)
    sys.stderr.write("forwarding %s:%d to %s:%d\n" % (*args.listen, *args.to))
    sys.stderr.flush()
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, args.to), daemon=True).start()


if __name__ == "__main__":
    main()
