#!/usr/bin/env python3
"""Captures the golden answers in this folder from a real etcd 3.4 JSON gateway.

Usage: capture.py http://127.0.0.1:PORT   (a fresh, empty etcd: the revisions in the goldens and
the expectations in codec_test.cc assume one). Each file holds an answer's body exactly as the
gateway sent it (chunked transfer decoded); a stream (keepalive, watch) holds every message.
"""
import base64
import http.client
import json
import os
import socket
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
url = urllib.parse.urlparse(sys.argv[1])


def b64(text):
    return base64.b64encode(text.encode()).decode()


def post(path, body):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def stream(path, body, seconds, ready=None):
    """The body of a streaming answer, read for `seconds`."""
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=seconds)
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    response = conn.getresponse()
    if ready:
        ready.set()
    data = b""
    deadline = time.time() + seconds
    try:
        while time.time() < deadline:
            conn.sock.settimeout(max(0.05, deadline - time.time()))
            piece = response.read1(65536)
            if not piece:
                break
            data += piece
    except (socket.timeout, TimeoutError):
        pass
    conn.close()
    return response.status, data


def save(name, status, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    print(f"{name}: HTTP {status}, {len(data)} bytes")


def txn(key, value, lease):
    return {
        "compare": [{"key": b64(key), "target": "CREATE", "result": "EQUAL",
                     "create_revision": "0"}],
        "success": [{"request_put": {"key": b64(key), "value": b64(value), "lease": lease}}],
        "failure": [{"request_range": {"key": b64(key)}}],
    }


key = "/kube-vip/election/plndr-cp-lock"

status, data = post("/v3/lease/grant", {"TTL": "2"})
save("lease_grant.json", status, data)
lease_a = json.loads(data)["ID"]
status, data = post("/v3/lease/grant", {"TTL": "1"})  # below etcd's minimum: raised to 2
save("lease_grant_raised.json", status, data)
lease_b = json.loads(data)["ID"]
status, data = post("/v3/lease/grant", {"TTL": "30"})
lease_c = json.loads(data)["ID"]

# The watch runs while the key is created, lost to, and deleted by revoking its lease.
watch = {}
ready = threading.Event()
watcher = threading.Thread(target=lambda: watch.update(
    answer=stream("/v3/watch", {"create_request": {"key": b64(key)}}, 2.0, ready)))
watcher.start()
ready.wait()
time.sleep(0.2)

save("kv_range_missing.json", *post("/v3/kv/range", {"key": b64(key)}))
save("kv_txn_created.json", *post("/v3/kv/txn", txn(key, "node-a", lease_c)))
save("kv_txn_lost.json", *post("/v3/kv/txn", txn(key, "node-b", lease_b)))
save("kv_range_found.json", *post("/v3/kv/range", {"key": b64(key)}))
save("kv_txn_unknown_lease.json", *post("/v3/kv/txn", txn("/other", "x", "12345")))
status, data = stream("/v3/lease/keepalive", {"ID": lease_a}, 1.0)
save("lease_keepalive.json", status, data)
status, data = stream("/v3/lease/keepalive", {"ID": "12345"}, 1.0)
save("lease_keepalive_unknown.json", status, data)
save("lease_revoke.json", *post("/v3/lease/revoke", {"ID": lease_c}))
save("lease_revoke_unknown.json", *post("/v3/lease/revoke", {"ID": lease_c}))
watcher.join()
save("watch_put_delete.json", *watch["answer"])

post("/v3/kv/compaction", {"revision": "3"})
save("watch_compacted.json",
     *stream("/v3/watch", {"create_request": {"key": b64(key), "start_revision": "1"}}, 1.0))
