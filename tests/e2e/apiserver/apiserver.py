#!/usr/bin/env python3
"""A small Kubernetes API server for tests: coordination.k8s.io/v1 Leases over HTTPS.

It follows the real API's rules where kube-vip and kubectl can see them: discovery documents
(/api, /apis, /apis/coordination.k8s.io[/v1]), bearer-token and client-certificate
authentication (401 with a Status for anything else), RBAC-like authorization (403 with the real
"... is forbidden: User ... cannot VERB resource ..." message), Leases with GET/LIST/POST/PUT/
DELETE, watch (one Lease by fieldSelector=metadata.name, chunked JSON event lines from a
resourceVersion on, ended after timeoutSeconds; 410 Gone for a version older than the kept
history), optimistic concurrency on metadata.resourceVersion (409 Conflict), 409 AlreadyExists,
404 NotFound Status objects, a global resourceVersion counter, uid and creationTimestamp, Table
output for `kubectl get`. Nothing else of Kubernetes exists here.

On start it makes its own CA with the openssl CLI and writes, into --dir:
  ca.crt, server.crt/.key, admin.crt/.key   the PKI of this run
  admin.conf        kubeconfig with a client certificate (like /etc/kubernetes/admin.conf);
                    the kubeconfigs name --kubeconfig-server if given, else the listening URL
  token.conf        kubeconfig with the full-rights bearer token
  reader.conf       a token that may only get/list/watch leases
  norbac.conf       a token with no rights on leases
  wrong.conf        a token the server does not know
  serviceaccount/   token, ca.crt, namespace: an in-cluster service-account directory
  ready             written once it listens (contains the URL)
Leases survive restarts when --state FILE is given (like etcd behind a restarted apiserver).
"""

import argparse
import copy
import datetime
import http.server
import json
import os
import re
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

GROUP = "coordination.k8s.io"
VERSION = "v1"
GV = GROUP + "/" + VERSION
NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}
MICROTIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")

# token -> (user, allowed verbs on leases)
ALL_VERBS = {"get", "list", "watch", "create", "update", "patch", "delete"}
TOKENS = {
    "admin-token-0123456789": ("system:serviceaccount:kube-system:kube-vip", ALL_VERBS),
    "reader-token-0123456789": ("system:serviceaccount:kube-system:lease-reader",
                                {"get", "list", "watch"}),
    "norbac-token-0123456789": ("system:serviceaccount:kube-system:no-rights", set()),
}
CERT_USERS = {"kubernetes-admin": ALL_VERBS}


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def name_selector(params):
    """(name, None) for fieldSelector=metadata.name=NAME, (None, None) without a selector, and
    (None, a 400 answer) for any other selector: the only one this server supports."""
    selector = params.get("fieldSelector", [""])[0]
    if not selector:
        return None, None
    if selector.startswith("metadata.name="):
        return selector[len("metadata.name="):], None
    return None, status(400, "BadRequest", "only fieldSelector=metadata.name=NAME is supported")


def status(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return code, body


class Store:
    """Leases by (namespace, name), one resourceVersion counter, optional JSON persistence."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.path = path
        self.rv = 1000
        self.leases = {}
        # Watch history: (rv as int, namespace, name, type, object), newest last, bounded.
        self.events = []
        self.changed = threading.Condition(self.lock)
        if path and os.path.exists(path):
            with open(path) as f:
                saved = json.load(f)
            self.rv = saved["rv"]
            self.leases = {tuple(k.split("/", 1)): v for k, v in saved["leases"].items()}

    def save(self):
        if not self.path:
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"rv": self.rv,
                       "leases": {"/".join(k): v for k, v in self.leases.items()}}, f)
        os.replace(tmp, self.path)

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def record(self, key, kind, obj):
        """Called with the lock held after a write: wakes the watches."""
        self.events.append((self.rv, key[0], key[1], kind, copy.deepcopy(obj)))
        del self.events[:-1000]
        self.changed.notify_all()


def validate_lease(obj, ns, name_from_url):
    """Returns an error (code, body) or None. Mirrors apiserver + coordination validation."""
    if not isinstance(obj, dict) or obj.get("kind") not in (None, "Lease"):
        return status(400, "BadRequest", "the body is not a Lease")
    if obj.get("apiVersion") not in (None, GV):
        return status(400, "BadRequest",
                      "the API version in the data (%s) does not match the expected API version (%s)"
                      % (obj.get("apiVersion"), GV))
    meta = obj.get("metadata") or {}
    name = meta.get("name", "")
    if meta.get("namespace") not in (None, "", ns):
        return status(400, "BadRequest", "the namespace of the provided object does not match "
                      "the namespace sent on the request")
    if name_from_url is not None and name != name_from_url:
        return status(400, "BadRequest", "the name of the object (%s) does not match the name on "
                      "the URL (%s)" % (name, name_from_url))
    causes = []
    if not name:
        causes.append(("metadata.name", "Required value: name or generateName is required"))
    elif not re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", name):
        causes.append(("metadata.name", "Invalid value: %r: a lowercase RFC 1123 subdomain" % name))
    spec = obj.get("spec") or {}
    for field in ("acquireTime", "renewTime"):
        v = spec.get(field)
        if v is not None and (not isinstance(v, str) or not MICROTIME.match(v)):
            return status(400, "BadRequest", "parsing time %r: not RFC 3339 (spec.%s)" % (v, field))
    d = spec.get("leaseDurationSeconds")
    if d is not None and (not isinstance(d, int) or d <= 0):
        causes.append(("spec.leaseDurationSeconds", "Invalid value: %r: must be greater than 0" % d))
    t = spec.get("leaseTransitions")
    if t is not None and (not isinstance(t, int) or t < 0):
        causes.append(("spec.leaseTransitions", "Invalid value: %r: must be greater than or equal "
                       "to 0" % t))
    if causes:
        msg = "Lease.coordination.k8s.io %r is invalid: " % name + ", ".join(
            "%s: %s" % c for c in causes)
        return status(422, "Invalid", msg, {"name": name, "group": GROUP, "kind": "Lease",
                                            "causes": [{"field": f, "message": m} for f, m in causes]})
    return None


def stored_form(obj, ns, rv, uid, created):
    meta = obj.get("metadata") or {}
    out_meta = {"name": meta["name"], "namespace": ns, "uid": uid, "resourceVersion": rv,
                "creationTimestamp": created}
    for key in ("labels", "annotations"):
        if meta.get(key):
            out_meta[key] = meta[key]
    spec = {k: v for k, v in (obj.get("spec") or {}).items()
            if k in ("holderIdentity", "leaseDurationSeconds", "acquireTime", "renewTime",
                     "leaseTransitions", "strategy", "preferredHolder") and v is not None}
    return {"kind": "Lease", "apiVersion": GV, "metadata": out_meta, "spec": spec}


def age(created):
    t = datetime.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)
    s = int((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds())
    return "%ds" % s if s < 120 else "%dm" % (s // 60)


def as_table(leases, rv):
    rows = []
    for lease in leases:
        meta = dict(lease["metadata"])
        rows.append({"cells": [meta["name"], lease["spec"].get("holderIdentity", ""),
                               age(meta["creationTimestamp"])],
                     "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                "metadata": meta}})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv},
            "columnDefinitions": [
                {"name": "Name", "type": "string", "format": "name", "priority": 0,
                 "description": "Name must be unique within a namespace."},
                {"name": "Holder", "type": "string", "format": "", "priority": 0,
                 "description": "holderIdentity contains the identity of the holder of a current "
                                "lease."},
                {"name": "Age", "type": "string", "format": "", "priority": 0,
                 "description": "CreationTimestamp is a timestamp representing the server time "
                                "when this object was created."}],
            "rows": rows}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-vip-test-apiserver"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))

    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)

    def authenticate(self):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            entry = TOKENS.get(auth[len("Bearer "):].strip())
            return entry
        cert = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        if cert:
            for rdn in cert.get("subject", ()):
                for key, value in rdn:
                    if key == "commonName" and value in CERT_USERS:
                        return value, CERT_USERS[value]
        return None

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def handle_any(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.server.frozen.is_set():
            # Simulates an API server that accepts connections but never answers.
            time.sleep(3600)
            return
        who = self.authenticate()
        if who is None:
            return self.send_json(*status(401, "Unauthorized", "Unauthorized"))
        path = self.path.split("?", 1)[0].rstrip("/")
        query = self.path.split("?", 1)[1] if "?" in self.path else ""
        code, body = self.route(method, path, query, raw, who)
        if code == "WATCH":
            return self.watch(*body)
        self.send_json(code, body)

    def send_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, ns, params):
        """A watch of the leases collection, as the real API server streams it."""
        name, bad = name_selector(params)
        if bad:
            return self.send_json(*bad)
        rv = params.get("resourceVersion", [""])[0]
        timeout = int(params.get("timeoutSeconds", ["1800"])[0])
        table = "as=Table" in self.headers.get("Accept", "")
        store = self.server.store

        def matches(key):
            return (ns is None or key[0] == ns) and (name is None or key[1] == name)

        def event(kind, obj):
            if table:
                obj = dict(as_table([obj], obj["metadata"]["resourceVersion"]))
                del obj["columnDefinitions"]  # sent only with the first event, as the real one
            return (json.dumps({"type": kind, "object": obj}) + "\n").encode()

        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        first = True
        with store.lock:
            if rv in ("", "0"):
                # No starting point: the current objects come first, as ADDED events.
                pending = [("ADDED", copy.deepcopy(v)) for k, v in sorted(store.leases.items())
                           if matches(k)]
                since = store.rv
            else:
                since = int(rv)
                pending = []
                if store.events and since < store.events[0][0] - 1:
                    pending = [("ERROR", status(410, "Expired", "too old resource version: "
                                                "%d (%d)" % (since, store.rv))[1])]
                    timeout = 0
        deadline = time.monotonic() + timeout
        try:
            while True:
                for kind, obj in pending:
                    data = event(kind, obj)
                    if table and first and kind != "ERROR":
                        full = as_table([obj], obj["metadata"]["resourceVersion"])
                        data = (json.dumps({"type": kind, "object": full}) + "\n").encode()
                    first = False
                    self.send_chunk(data)
                pending = []
                with store.lock:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    fresh = [e for e in store.events if e[0] > since and matches((e[1], e[2]))]
                    if not fresh:
                        store.changed.wait(min(left, 1.0))
                        fresh = [e for e in store.events if e[0] > since and matches((e[1], e[2]))]
                    if fresh:
                        since = fresh[-1][0]
                        pending = [(e[3], e[4]) for e in fresh]
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True

    def route(self, method, path, query, raw, who):
        host = "%s:%d" % self.server.server_address[:2]
        if method == "GET":
            if path == "/version":
                return 200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0-test",
                             "platform": "linux/amd64"}
            if path == "/api":
                return 200, {"kind": "APIVersions", "versions": ["v1"],
                             "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                             "serverAddress": host}]}
            if path == "/api/v1":
                return 200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": []}
            group = {"name": GROUP, "versions": [{"groupVersion": GV, "version": VERSION}],
                     "preferredVersion": {"groupVersion": GV, "version": VERSION}}
            if path == "/apis":
                return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [group]}
            if path == "/apis/" + GROUP:
                return 200, dict(group, kind="APIGroup", apiVersion="v1")
            if path == "/apis/" + GV:
                return 200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": GV,
                             "resources": [{"name": "leases", "singularName": "lease",
                                            "namespaced": True, "kind": "Lease",
                                            "verbs": ["create", "delete", "deletecollection",
                                                      "get", "list", "patch", "update", "watch"],
                                            "storageVersionHash": "gqkMMb/YqFM="}]}
        m = re.match(r"^/apis/coordination\.k8s\.io/v1(?:/namespaces/([^/]+))?/leases(?:/([^/]+))?$",
                     path)
        if not m:
            return status(404, "NotFound", "the server could not find the requested resource")
        ns, name = m.group(1), m.group(2)
        if ns is None and (name is not None or method != "GET"):
            return status(404, "NotFound", "the server could not find the requested resource")
        verb = {"GET": "get" if name else ("watch" if "watch=true" in query else "list"),
                "POST": "create", "PUT": "update", "DELETE": "delete", "PATCH": "patch"}[method]
        user, verbs = who
        if verb not in verbs:
            what = ('leases.coordination.k8s.io "%s"' % name) if name else \
                "leases.coordination.k8s.io"
            where = ('in the namespace "%s"' % ns) if ns else "at the cluster scope"
            return status(403, "Forbidden",
                          '%s is forbidden: User "%s" cannot %s resource "leases" in API group '
                          '"%s" %s' % (what, user, verb, GROUP, where),
                          {"name": name, "group": GROUP, "kind": "leases"} if name else
                          {"group": GROUP, "kind": "leases"})
        if verb == "watch":
            return "WATCH", (ns, urllib.parse.parse_qs(query))
        if ns is not None and ns not in NAMESPACES and method in ("POST", "PUT"):
            return status(404, "NotFound", 'namespaces "%s" not found' % ns,
                          {"name": ns, "kind": "namespaces"})
        store = self.server.store
        with store.lock:
            key = (ns, name)
            not_found = status(404, "NotFound", 'leases.coordination.k8s.io "%s" not found' % name,
                               {"name": name, "group": GROUP, "kind": "leases"})
            if method == "GET" and name:
                if key not in store.leases:
                    return not_found
                if "as=Table" in self.headers.get("Accept", ""):
                    return 200, as_table([store.leases[key]], str(store.rv))
                return 200, store.leases[key]
            if method == "GET":
                # kubectl delete (1.20) lists by name until the object is gone.
                only, bad = name_selector(urllib.parse.parse_qs(query))
                if bad:
                    return bad
                items = [copy.deepcopy(v) for k, v in sorted(store.leases.items())
                         if (ns is None or k[0] == ns) and (only is None or k[1] == only)]
                if "as=Table" in self.headers.get("Accept", ""):
                    return 200, as_table(items, str(store.rv))
                for item in items:
                    item.pop("kind", None)
                    item.pop("apiVersion", None)
                return 200, {"kind": "LeaseList", "apiVersion": GV,
                             "metadata": {"resourceVersion": str(store.rv)}, "items": items}
            if method == "DELETE":
                if key not in store.leases:
                    return not_found
                old = store.leases.pop(key)
                store.next_rv()
                store.record(key, "DELETED", old)
                store.save()
                return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                             "status": "Success",
                             "details": {"name": name, "group": GROUP, "kind": "leases",
                                         "uid": old["metadata"]["uid"]}}
            if method == "PATCH":
                return status(415, "UnsupportedMediaType",
                              "PATCH is not supported by this test server")
            try:
                obj = json.loads(raw or b"null")
            except ValueError as e:
                return status(400, "BadRequest", "invalid JSON in the body: %s" % e)
            bad = validate_lease(obj, ns, name if method == "PUT" else None)
            if bad:
                return bad
            obj_name = obj["metadata"]["name"]
            key = (ns, obj_name)
            rv = (obj.get("metadata") or {}).get("resourceVersion", "")
            if method == "POST":
                if rv:
                    return status(400, "BadRequest",
                                  "resourceVersion should not be set on objects to be created")
                if key in store.leases:
                    return status(409, "AlreadyExists",
                                  'leases.coordination.k8s.io "%s" already exists' % obj_name,
                                  {"name": obj_name, "group": GROUP, "kind": "leases"})
                store.leases[key] = stored_form(obj, ns, store.next_rv(), str(uuid.uuid4()),
                                                now_rfc3339())
                store.record(key, "ADDED", store.leases[key])
                store.save()
                return 201, store.leases[key]
            # PUT. Leases allow create-on-update and unconditional update (no resourceVersion).
            old = store.leases.get(key)
            if old is None:
                if rv:
                    return not_found
                store.leases[key] = stored_form(obj, ns, store.next_rv(), str(uuid.uuid4()),
                                                now_rfc3339())
                store.record(key, "ADDED", store.leases[key])
                store.save()
                return 201, store.leases[key]
            if rv and rv != old["metadata"]["resourceVersion"]:
                return status(409, "Conflict",
                              'Operation cannot be fulfilled on leases.coordination.k8s.io "%s": '
                              "the object has been modified; please apply your changes to the "
                              "latest version and try again" % obj_name,
                              {"name": obj_name, "group": GROUP, "kind": "leases"})
            new = stored_form(obj, ns, old["metadata"]["resourceVersion"],
                              old["metadata"]["uid"], old["metadata"]["creationTimestamp"])
            if new == old:
                return 200, old  # a no-op update does not bump the resourceVersion
            new["metadata"]["resourceVersion"] = store.next_rv()
            store.leases[key] = new
            store.record(key, "MODIFIED", new)
            store.save()
            return 200, new


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_pki(d, sans):
    if os.path.exists(os.path.join(d, "server.crt")):
        return  # a restart keeps the PKI of the run
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run(["openssl", "req", "-x509", *ec, "-keyout", d + "/ca.key", "-out", d + "/ca.crt",
         "-days", "2", "-subj", "/CN=kube-vip-test-ca"])
    for name, subj, ext in (
            ("server", "/CN=kube-apiserver",
             "subjectAltName=%s\nextendedKeyUsage=serverAuth\n" % ",".join(sans)),
            ("admin", "/O=system:masters/CN=kubernetes-admin", "extendedKeyUsage=clientAuth\n")):
        with open(d + "/%s.ext" % name, "w") as f:
            f.write(ext)
        run(["openssl", "req", *ec, "-keyout", d + "/%s.key" % name, "-out",
             d + "/%s.csr" % name, "-subj", subj])
        run(["openssl", "x509", "-req", "-in", d + "/%s.csr" % name, "-CA", d + "/ca.crt",
             "-CAkey", d + "/ca.key", "-CAcreateserial", "-out", d + "/%s.crt" % name,
             "-days", "2", "-extfile", d + "/%s.ext" % name])


def b64(path):
    import base64
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def write_kubeconfigs(d, url):
    def conf(user):
        return ("apiVersion: v1\nkind: Config\ncurrent-context: test\n"
                "clusters:\n- name: test\n  cluster:\n    server: %s\n"
                "    certificate-authority-data: %s\n"
                "contexts:\n- name: test\n  context:\n    cluster: test\n    user: u\n"
                "    namespace: kube-system\nusers:\n- name: u\n  user:\n%s" % (url, b64(d + "/ca.crt"),
                                                                                user))
    files = {
        "admin.conf": "    client-certificate-data: %s\n    client-key-data: %s\n" % (
            b64(d + "/admin.crt"), b64(d + "/admin.key")),
        "token.conf": "    token: admin-token-0123456789\n",
        "reader.conf": "    token: reader-token-0123456789\n",
        "norbac.conf": "    token: norbac-token-0123456789\n",
        "wrong.conf": "    token: not-a-known-token\n",
    }
    for name, user in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(conf(user))
    sa = os.path.join(d, "serviceaccount")
    os.makedirs(sa, exist_ok=True)
    with open(sa + "/token", "w") as f:
        f.write("admin-token-0123456789")
    with open(sa + "/namespace", "w") as f:
        f.write("kube-system")
    with open(d + "/ca.crt") as src, open(sa + "/ca.crt", "w") as dst:
        dst.write(src.read())


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--dir", required=True)
    p.add_argument("--state", default="")
    p.add_argument("--san", action="append", default=[],
                   help="extra subjectAltName entries, e.g. IP:10.0.0.1")
    p.add_argument("--kubeconfig-server", default="",
                   help="the server URL the kubeconfigs name (default: the URL it listens on), "
                        "e.g. https://VIP:6443 as on a kubeadm cluster with a control-plane "
                        "endpoint")
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    sans = ["IP:127.0.0.1", "DNS:localhost", "DNS:kubernetes.default.svc"] + args.san
    if args.listen not in ("127.0.0.1", "0.0.0.0"):
        sans.append("IP:" + args.listen)
    make_pki(args.dir, sans)
    server = Server((args.listen, args.port), Handler)
    server.store = Store(args.state)
    server.frozen = threading.Event()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.dir + "/server.crt", args.dir + "/server.key")
    ctx.load_verify_locations(args.dir + "/ca.crt")
    ctx.verify_mode = ssl.CERT_OPTIONAL
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    host, port = server.server_address[:2]
    url = "https://%s:%d" % (host if host != "0.0.0.0" else "127.0.0.1", port)
    write_kubeconfigs(args.dir, args.kubeconfig_server or url)
    # SIGUSR1 toggles "frozen": connections are accepted but never answered.
    import signal
    signal.signal(signal.SIGUSR1, lambda *_: server.frozen.clear() if server.frozen.is_set()
                  else server.frozen.set())
    with open(args.dir + "/ready.tmp", "w") as f:
        f.write(url + "\n")
    os.replace(args.dir + "/ready.tmp", args.dir + "/ready")
    sys.stderr.write("test apiserver listening on %s\n" % url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
