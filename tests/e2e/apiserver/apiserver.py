#!/usr/bin/env python3
"""A small Kubernetes API server for tests: Leases, Services, Endpoints, EndpointSlices,
ConfigMaps and Nodes over HTTPS.

It follows the real API's rules where kube-vip and kubectl can see them: discovery documents
(/api, /api/v1, /apis, /apis/GROUP[/VERSION]) with verbs, shortNames and categories; bearer-token
and client-certificate authentication (401 with a Status for anything else); RBAC-like
authorization (403 with the real "... is forbidden: User ... cannot VERB resource ..." message);
get, list (labelSelector k=v, k!=v, k, !k; fieldSelector metadata.name/metadata.namespace),
create (JSON, or protobuf from kubectl's typed clients: protobuf.py), update (PUT; 409 Conflict
on a stale metadata.resourceVersion), delete, JSON merge patch and strategic merge patch (lists
merged by key where k8s.io/api says so, for the fields of the served kinds), and watch (chunked
JSON event lines from a resourceVersion on, BOOKMARK events with allowWatchBookmarks=true, ended
after timeoutSeconds, an ERROR event with a 410 Expired Status for a version older than the
event log keeps); the `status` subresource of Services and Nodes (a PUT or PATCH there changes
only status, a PUT of the main resource keeps the stored status); 409 AlreadyExists and 404
NotFound Status objects; one resourceVersion counter for all kinds, uid and creationTimestamp;
Table output for `kubectl get`. What each kind adds (Service clusterIP and nodePort allocation,
validation, table columns) is in kinds.py; the store, selectors and patches are in store.py.
Nothing else of Kubernetes exists here (no OpenAPI documents: kubectl create/apply need
--validate=false).

On start it makes its own CA with the openssl CLI and writes, into --dir:
  ca.crt, server.crt/.key, admin.crt/.key   the PKI of this run
  admin.conf        kubeconfig with a client certificate (like /etc/kubernetes/admin.conf);
                    the kubeconfigs name --kubeconfig-server if given, else the listening URL
  token.conf        kubeconfig with the full-rights bearer token
  reader.conf       a token that may only get/list/watch
  norbac.conf       a token with no rights
  wrong.conf        a token the server does not know
  serviceaccount/   token, ca.crt, namespace: an in-cluster service-account directory
  ready             written once it listens (contains the URL)
Objects survive restarts when --state FILE is given (like etcd behind a restarted apiserver).

Faults for tests: SIGUSR1 toggles "frozen" (connections accepted, never answered); a POST to
GET /_test/stats counts the requests served so far by verb and resource ("update leases": n), to
measure what a client costs the API server. /_test/drop-watches by a full-rights user ends every
open watch at once, without the final
chunk, as a broken connection would; a POST to /_test/expire-watches also makes every
resourceVersion issued so far (or, with ?resourceVersion=N, every one below N) too old (the next
watch from one gets 410 Gone, as after an etcd compaction) and forgets every continue token; --event-log N keeps only N events, so that a watch
from an older resourceVersion gets 410. Lists honour limit and continue (the following pages come
from a snapshot taken by the first, 410 for an unknown token).
"""

import argparse
import copy
import datetime
import collections
import http.server
import json
import os
import random
import socket
import socketserver
import ssl
import string
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

sys.dont_write_bytecode = True  # no __pycache__ beside the sources in the tree
import kinds  # noqa: E402 (the modules beside this file)
import protobuf  # noqa: E402
import store as storelib  # noqa: E402

NAMESPACES = {"default", "kube-system", "kube-public", "kube-node-lease"}

# token -> (user, allowed verbs on every resource)
ALL_VERBS = {"get", "list", "watch", "create", "update", "patch", "delete"}
TOKENS = {
    "admin-token-0123456789": ("system:serviceaccount:kube-system:kube-vip", ALL_VERBS),
    "reader-token-0123456789": ("system:serviceaccount:kube-system:lease-reader",
                                {"get", "list", "watch"}),
    "norbac-token-0123456789": ("system:serviceaccount:kube-system:no-rights", set()),
}
CERT_USERS = {"kubernetes-admin": ALL_VERBS}
PATCH_TYPES = ("application/merge-patch+json", "application/strategic-merge-patch+json")
NOT_FOUND_PATH = (404, "NotFound", "the server could not find the requested resource")


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def status(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return code, body


def as_table(kind, objects, rv):
    rows = []
    for obj in objects:
        meta = dict(obj["metadata"])
        rows.append({"cells": kind.table_cells(obj),
                     "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                "metadata": meta}})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv},
            "columnDefinitions": [
                {"name": c[0], "type": "integer" if c[0] == "Data" else "string",
                 "format": c[1], "priority": c[3] if len(c) > 3 else 0, "description": c[2]}
                for c in kind.table_columns()],
            "rows": rows}


def discovery(path, host):
    """The discovery document at path, or None."""
    groups = {}
    for k in kinds.KINDS:
        groups.setdefault(k.group, {}).setdefault(k.version, []).append(k)
    if path == "/version":
        return {"major": "1", "minor": "32", "gitVersion": "v1.32.0-test",
                "platform": "linux/amd64"}
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}]}

    def resources(group, version):
        gv = group + "/" + version if group else version
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                "resources": [r for k in groups[group][version] for r in k.discovery()]}

    if path == "/api/v1":
        return resources("", "v1")

    def group_doc(name):
        versions = [{"groupVersion": name + "/" + v, "version": v} for v in sorted(groups[name])]
        return {"name": name, "versions": versions, "preferredVersion": versions[0]}

    named = sorted(g for g in groups if g)
    if path == "/apis":
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [group_doc(g) for g in named]}
    parts = path.split("/")
    if len(parts) == 3 and parts[2] in named:
        return dict(group_doc(parts[2]), kind="APIGroup", apiVersion="v1")
    if len(parts) == 4 and parts[2] in named and parts[3] in groups[parts[2]]:
        return resources(parts[2], parts[3])
    return None


def parse_path(path):
    """(kind, namespace or None, name or None, subresource or None) for a resource path, or None.
    Paths: /api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUB]], /apis/GROUP/VERSION[...] likewise."""
    parts = path.strip("/").split("/")
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    ns = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        ns, rest = rest[1], rest[2:]
    if not 1 <= len(rest) <= 3:
        return None
    kind = kinds.BY_PATH.get((group, version, rest[0]))
    if kind is None or (ns is not None and not kind.namespaced):
        return None
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if sub is not None and not (sub == "status" and kind.status_subresource):
        return None
    if kind.namespaced and ns is None and name is not None:
        return None
    return kind, ns, name, sub


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm the body would wait for
    # the client's delayed ACK (~40 ms) on a reused connection, as no real API server does.
    disable_nagle_algorithm = True
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
        code, body = self.route(method, path, urllib.parse.parse_qs(query), raw, who)
        if code == "WATCH":
            return self.watch(*body)
        self.send_json(code, body)

    def wants_table(self):
        return "as=Table" in self.headers.get("Accept", "")

    def route(self, method, path, params, raw, who):
        user, verbs = who
        if method == "POST" and path == "/_test/drop-watches":
            if verbs != ALL_VERBS:
                return status(403, "Forbidden", 'User "%s" cannot drop watches' % user)
            self.server.store.drop_watches()
            return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                         "status": "Success"}
        if method == "POST" and path == "/_test/expire-watches":
            if verbs != ALL_VERBS:
                return status(403, "Forbidden", 'User "%s" cannot expire watches' % user)
            before = params.get("resourceVersion", [""])[0]
            if before and not before.isdigit():
                return status(400, "BadRequest", "invalid resourceVersion %r" % before)
            with self.server.store.lock:
                self.server.store.expire(int(before) if before else None)
            return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                         "status": "Success"}
        if method == "GET" and path == "/_test/stats":
            with self.server.requests_lock:
                counts = {"%s %s" % key: n for key, n in sorted(self.server.requests.items())}
            return 200, {"requests": counts}
        if method == "GET":
            doc = discovery(path, "%s:%d" % self.server.server_address[:2])
            if doc is not None:
                return 200, doc
        parsed = parse_path(path)
        if parsed is None:
            return status(*NOT_FOUND_PATH)
        kind, ns, name, sub = parsed
        if name is None and method != "GET" and method != "POST":
            return status(*NOT_FOUND_PATH)
        if (name is not None or sub is not None) and method == "POST":
            return status(405, "MethodNotAllowed", "the server does not allow this method on "
                          "the requested resource")
        if sub is not None and method not in ("GET", "PUT", "PATCH"):
            return status(405, "MethodNotAllowed", "the server does not allow this method on "
                          "the requested resource")
        watching = params.get("watch", [""])[0] in ("true", "1")
        verb = {"GET": "get" if name else ("watch" if watching else "list"),
                "POST": "create", "PUT": "update", "DELETE": "delete", "PATCH": "patch"}[method]
        resource = kind.resource + ("/" + sub if sub else "")
        with self.server.requests_lock:
            self.server.requests[(verb, resource)] += 1
        if verb not in verbs:
            what = ('%s "%s"' % (kind.qualified, name)) if name else kind.qualified
            where = (' in the namespace "%s"' % ns) if ns else " at the cluster scope"
            details = {"group": kind.group, "kind": kind.resource}
            if name:
                details = dict(details, name=name)
            return status(403, "Forbidden", '%s is forbidden: User "%s" cannot %s resource "%s" '
                          'in API group "%s"%s' % (what, user, verb, resource, kind.group, where),
                          details)
        try:
            labels = storelib.parse_label_selector(params.get("labelSelector", [""])[0])
            fields = storelib.parse_field_selector(params.get("fieldSelector", [""])[0])
        except ValueError as e:
            return status(400, "BadRequest", str(e))
        if verb == "watch":
            return "WATCH", (kind, ns, labels, fields, params)
        if ns is not None and ns not in NAMESPACES and method in ("POST", "PUT", "PATCH"):
            return status(404, "NotFound", 'namespaces "%s" not found' % ns,
                          {"name": ns, "kind": "namespaces"})
        body = None
        if method in ("POST", "PUT") and "protobuf" in self.headers.get("Content-Type", ""):
            try:
                body = protobuf.decode(raw)
            except protobuf.Unsupported as e:
                return status(415, "UnsupportedMediaType", "cannot decode this protobuf body "
                              "(%s); send application/json" % e)
        elif method in ("POST", "PUT", "PATCH"):
            try:
                body = json.loads(raw or b"null")
            except ValueError as e:
                return status(400, "BadRequest", "invalid JSON in the body: %s" % e)
        store = self.server.store
        with store.lock:
            if verb == "list":
                return self.list(kind, ns, labels, fields, params)
            if method == "POST":
                return self.write(kind, ns, None, None, "create", body)
            key = (kind.key, ns or "", name)
            if method == "GET":
                if key not in store.objects:
                    return not_found(kind, name)
                if self.wants_table():
                    return 200, as_table(kind, [store.objects[key]], str(store.rv))
                return 200, store.objects[key]
            if method == "DELETE":
                if key not in store.objects:
                    return not_found(kind, name)
                old = copy.deepcopy(store.objects[key])
                old["metadata"]["resourceVersion"] = store.next_rv()
                store.write(key, "DELETED", old)
                return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                             "status": "Success",
                             "details": {"name": name, "group": kind.group, "kind": kind.resource,
                                         "uid": old["metadata"]["uid"]}}
            if method == "PATCH":
                content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
                if content_type not in PATCH_TYPES:
                    return status(415, "UnsupportedMediaType", "the body of the request was in "
                                  "an unknown format - accepted media types include: "
                                  + ", ".join(PATCH_TYPES))
                if key not in store.objects:
                    return not_found(kind, name)
                if not isinstance(body, dict):
                    return status(400, "BadRequest", "the patch is not a JSON object")
                current = store.objects[key]
                try:
                    merged = storelib.strategic_merge_patch(current, body) \
                        if content_type == PATCH_TYPES[1] else storelib.merge_patch(current, body)
                except ValueError as e:
                    return status(400, "BadRequest", str(e))
                # A resourceVersion in the patch is a precondition, as on the real server.
                merged.setdefault("metadata", {}).setdefault(
                    "resourceVersion", current["metadata"]["resourceVersion"])
                return self.write(kind, ns, name, sub, "patch", merged)
            return self.write(kind, ns, name, sub, "update", body)

    def list(self, kind, ns, labels, fields, params):
        store = self.server.store
        items = [copy.deepcopy(v) for k, v in sorted(store.objects.items())
                 if k[0] == kind.key and (ns is None or k[1] == ns)
                 and storelib.labels_match(labels, v) and storelib.fields_match(fields, v)]
        if self.wants_table():
            return 200, as_table(kind, items, str(store.rv))
        for item in items:
            item.pop("kind", None)
            item.pop("apiVersion", None)
        try:
            limit = int(params.get("limit", ["0"])[0] or 0)
        except ValueError:
            return status(400, "BadRequest", "limit must be an integer")
        page = store.page(items, str(store.rv), limit, params.get("continue", [""])[0])
        if page is None:
            return status(410, "Expired", "The provided continue parameter is too old to display "
                          "a consistent list result. You can start a new list without the "
                          "continue parameter.")
        rv, items, token = page
        meta = {"resourceVersion": rv}
        if token:
            meta["continue"] = token
        return 200, {"kind": kind.kind + "List", "apiVersion": kind.gv, "metadata": meta,
                     "items": items}

    def write(self, kind, ns, url_name, sub, verb, obj):
        """create (POST), update (PUT) and patch (the merged object), of the main resource or of
        its status subresource. Called with the store's lock held."""
        store = self.server.store
        bad = check_envelope(kind, obj, ns, url_name)
        if bad:
            return bad
        meta = obj.setdefault("metadata", {})
        if verb == "create" and not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(
                random.choice(string.ascii_lowercase + string.digits) for _ in range(5))
        name = meta.get("name", "")
        try:
            if sub != "status":  # a status write keeps the stored, already valid, rest
                kind.check(obj)
        except kinds.BadRequest as e:
            return status(400, "BadRequest", str(e))
        except kinds.Invalid as e:
            return invalid(kind, name, e.causes)
        key = (kind.key, ns or "", name)
        rv = meta.get("resourceVersion", "")
        old = store.objects.get(key)
        if verb == "create":
            if rv:
                return status(400, "BadRequest",
                              "resourceVersion should not be set on objects to be created")
            if old is not None:
                return status(409, "AlreadyExists", '%s "%s" already exists'
                              % (kind.qualified, name),
                              {"name": name, "group": kind.group, "kind": kind.resource})
        elif old is None:
            if rv or sub or verb == "patch" or not kind.create_on_update:
                return not_found(kind, name)
        elif rv and rv != old["metadata"]["resourceVersion"]:
            return status(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object '
                          "has been modified; please apply your changes to the latest version "
                          "and try again" % (kind.qualified, name),
                          {"name": name, "group": kind.group, "kind": kind.resource})
        if old is None:
            server_meta = {"name": name, "uid": str(uuid.uuid4()), "resourceVersion": "",
                           "creationTimestamp": now_rfc3339()}
        else:
            server_meta = {k: old["metadata"][k] for k in ("name", "uid", "resourceVersion",
                                                            "creationTimestamp")}
        if kind.namespaced:
            server_meta["namespace"] = ns
        if sub == "status":
            # The status subresource changes status only: everything else stays as stored.
            new = copy.deepcopy(old)
            new["status"] = obj.get("status") or {}
        else:
            client_meta = {k: meta[k] for k in kind.meta_keys if meta.get(k)}
            new = kind.stored(obj, dict(server_meta, **client_meta))
            if old is not None and kind.status_subresource:
                # The main resource ignores status changes, as the real one does.
                new.pop("status", None)
                if "status" in old:
                    new["status"] = copy.deepcopy(old["status"])
            try:
                kind.prepare(new, old, [v for k, v in store.objects.items()
                                        if k[0] == kind.key and k != key], self.server.options)
            except kinds.Invalid as e:
                return invalid(kind, name, e.causes)
        if old is not None and new == old:
            return 200, old  # a no-op update does not bump the resourceVersion
        new["metadata"]["resourceVersion"] = store.next_rv()
        store.write(key, "ADDED" if old is None else "MODIFIED", new)
        return (201 if old is None else 200), new

    def send_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, kind, ns, labels, fields, params):
        """A watch of a collection, as the real API server streams it."""
        rv = params.get("resourceVersion", [""])[0]
        timeout = int(params.get("timeoutSeconds", ["1800"])[0])
        bookmarks = params.get("allowWatchBookmarks", [""])[0] in ("true", "1")
        table = self.wants_table()
        store = self.server.store

        def matches(resource, namespace, obj):
            return (resource == kind.key and (ns is None or namespace == ns)
                    and storelib.labels_match(labels, obj) and storelib.fields_match(fields, obj))

        first = True

        def event(etype, obj):
            nonlocal first
            if table and etype not in ("ERROR", "BOOKMARK"):
                obj = as_table(kind, [obj], obj["metadata"]["resourceVersion"])
                if not first:
                    del obj["columnDefinitions"]  # sent only with the first event, as the real one
                first = False
            return (json.dumps({"type": etype, "object": obj}) + "\n").encode()

        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with store.lock:
            generation = store.watch_generation
            if rv in ("", "0"):
                # No starting point: the current objects come first, as ADDED events.
                pending = [("ADDED", copy.deepcopy(v)) for k, v in sorted(store.objects.items())
                           if matches(k[0], k[1], v)]
                since = store.rv
            else:
                try:
                    since = int(rv)
                except ValueError:
                    since, timeout = 0, 0
                    pending = [("ERROR", status(400, "BadRequest", "invalid resourceVersion %r"
                                                % rv)[1])]
                else:
                    pending = []
                    if store.too_old(since):
                        pending = [("ERROR", status(410, "Expired", "too old resource version: "
                                                    "%d (%d)" % (since, store.rv))[1])]
                        timeout = 0
        deadline = time.monotonic() + timeout
        interval = self.server.options.bookmark_interval
        next_bookmark = time.monotonic() + interval
        dropped = False
        try:
            while True:
                for etype, obj in pending:
                    self.send_chunk(event(etype, obj))
                pending = []
                with store.lock:
                    now = time.monotonic()
                    if now >= deadline:
                        break
                    if store.watch_generation != generation:
                        dropped = True
                        break
                    fresh = store.events_after(since, matches)
                    if not fresh:
                        wait = min(deadline - now, 1.0)
                        if bookmarks:
                            wait = min(wait, max(next_bookmark - now, 0))
                        store.changed.wait(wait)
                        if store.watch_generation != generation:
                            dropped = True
                            break
                        fresh = store.events_after(since, matches)
                    # Every event up to store.rv has now been seen: the others did not match.
                    since = store.rv
                    pending = fresh
                    if bookmarks and time.monotonic() >= next_bookmark:
                        next_bookmark = time.monotonic() + interval
                        pending.append(("BOOKMARK", {"kind": kind.kind, "apiVersion": kind.gv,
                                                     "metadata": {"resourceVersion": str(since)}}))
            if dropped:
                # As a broken connection: no final chunk, the stream just stops.
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True


def not_found(kind, name):
    return status(404, "NotFound", '%s "%s" not found' % (kind.qualified, name),
                  {"name": name, "group": kind.group, "kind": kind.resource})


def invalid(kind, name, causes):
    qualified = kind.kind + ("." + kind.group if kind.group else "")
    msg = '%s "%s" is invalid: ' % (qualified, name) + ", ".join("%s: %s" % c for c in causes)
    return status(422, "Invalid", msg, {"name": name, "group": kind.group, "kind": kind.kind,
                                        "causes": [{"field": f, "message": m}
                                                   for f, m in causes]})


def check_envelope(kind, obj, ns, name_from_url):
    """kind, apiVersion, namespace and name as the request's URL says, or a 400 answer."""
    if not isinstance(obj, dict) or obj.get("kind") not in (None, kind.kind):
        return status(400, "BadRequest", "the body is not a %s" % kind.kind)
    if obj.get("apiVersion") not in (None, kind.gv):
        return status(400, "BadRequest",
                      "the API version in the data (%s) does not match the expected API "
                      "version (%s)" % (obj.get("apiVersion"), kind.gv))
    meta = obj.get("metadata") or {}
    if not isinstance(meta, dict):
        return status(400, "BadRequest", "metadata is not an object")
    if kind.namespaced and meta.get("namespace") not in (None, "", ns):
        return status(400, "BadRequest", "the namespace of the provided object does not match "
                      "the namespace sent on the request")
    if name_from_url is not None and meta.get("name") != name_from_url:
        return status(400, "BadRequest", "the name of the object (%s) does not match the name on "
                      "the URL (%s)" % (meta.get("name"), name_from_url))
    return None


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
    p.add_argument("--event-log", type=int, default=1000,
                   help="how many events the watch log keeps; a watch from an older "
                        "resourceVersion gets 410 Gone")
    p.add_argument("--bookmark-interval", type=float, default=1.0,
                   help="seconds between BOOKMARK events on watches that allow them")
    p.add_argument("--service-cidr", default="10.96.0.0/24",
                   help="the IPv4 range Service cluster IPs come from")
    p.add_argument("--service-cidr6", default="fd00:96::/112",
                   help="the IPv6 range Service cluster IPs come from")
    args = p.parse_args()
    if args.event_log < 1:
        p.error("--event-log must be at least 1, not %d" % args.event_log)
    os.makedirs(args.dir, exist_ok=True)
    sans = ["IP:127.0.0.1", "DNS:localhost", "DNS:kubernetes.default.svc"] + args.san
    if args.listen not in ("127.0.0.1", "0.0.0.0"):
        sans.append("IP:" + args.listen)
    make_pki(args.dir, sans)
    server = Server((args.listen, args.port), Handler)
    server.store = storelib.Store(args.state, args.event_log)
    server.options = args
    server.frozen = threading.Event()
    server.requests = collections.Counter()  # (verb, resource) -> requests, for GET /_test/stats
    server.requests_lock = threading.Lock()
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
