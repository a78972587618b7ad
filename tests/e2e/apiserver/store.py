"""The object store of the test API server: every kind in one map, as etcd holds them.

Objects are keyed by (resource, namespace, name), where resource is "group/version/resource"
("/v1/services" for the core group) and namespace is "" for cluster-scoped kinds. One
resourceVersion counter counts every write of every kind, as etcd's revision does, and every
write is appended to one bounded event log; watches read that log from their resourceVersion on
and get 410 Gone when it no longer reaches back that far. Label and field selectors and JSON merge
patch (RFC 7386) and strategic merge patch are here too: they are pure functions of objects.
"""

import bisect
import copy
import itertools
import json
import os
import threading


class Store:
    """Objects by (resource, namespace, name); one resourceVersion counter; a bounded event log;
    optional JSON persistence (like etcd behind a restarted API server)."""

    def __init__(self, path, event_log=1000):
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.path = path
        self.event_log = event_log
        self.rv = 1000
        self.objects = {}
        # (rv as int, resource, namespace, name, type, object, previous object or None), newest
        # last, at most event_log entries.
        self.events = []
        # Bumped to end every open watch at once (a fault tests inject to force a re-list).
        self.watch_generation = 0
        # Watches from a resourceVersion below this get 410 Gone (as after etcd compaction).
        self.expired_before = 0
        # The rest of a paged list by continue token: (resourceVersion, items), newest last.
        self.continuations = {}
        self.next_continue = 0
        if path and os.path.exists(path):
            with open(path) as f:
                saved = json.load(f)
            self.rv = saved["rv"]
            for key, obj in saved.get("objects", {}).items():
                self.objects[tuple(key.split("|", 2))] = obj

    def save(self):
        if not self.path:
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"rv": self.rv,
                       "objects": {"|".join(k): v for k, v in self.objects.items()}}, f)
        os.replace(tmp, self.path)

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def write(self, key, kind, obj):
        """With the lock held: stores obj (or removes key for DELETED, obj being the last state),
        logs the event, persists, wakes the watches. obj already carries the new resourceVersion
        (a deleted object the deletion's, as on the real server)."""
        previous = self.objects.get(key)
        if kind == "DELETED":
            self.objects.pop(key, None)
        else:
            self.objects[key] = obj
        self.events.append((self.rv, key[0], key[1], key[2], kind, copy.deepcopy(obj),
                            copy.deepcopy(previous) if kind == "MODIFIED" else None))
        del self.events[:-self.event_log]
        self.save()
        self.changed.notify_all()

    def too_old(self, since):
        """With the lock held: true when the log no longer holds every event after `since`."""
        if since < self.expired_before:
            return True
        return bool(self.events) and since < self.events[0][0] - 1

    def expire(self, before=None):
        """With the lock held: every resourceVersion below `before` becomes too old to watch
        from and every continue token is forgotten, as after an etcd compaction; open watches end
        (their clients watch again, or list again if their version is gone). By default every
        version issued so far expires: the counter moves on by one, so that a list made afterwards
        returns a version that can be watched from."""
        if before is None:
            before = int(self.next_rv())
        self.expired_before = before
        self.continuations.clear()
        self.watch_generation += 1
        self.changed.notify_all()

    def page(self, items, rv, limit, token):
        """With the lock held: (resourceVersion, items of this page, continue token or "") of a
        list, or None when `token` is unknown or expired. The first page (no token) describes
        `items` at `rv`; the following pages come from the same snapshot, as the real server
        serves them at the list's resourceVersion. limit <= 0 means everything."""
        if token:
            if token not in self.continuations:
                return None
            rv, items = self.continuations.pop(token)
        if limit <= 0 or len(items) <= limit:
            return rv, items, ""
        self.next_continue += 1
        new_token = "c%d/%s" % (self.next_continue, rv)  # '/' to exercise URL encoding
        self.continuations[new_token] = (rv, items[limit:])
        while len(self.continuations) > 64:
            del self.continuations[next(iter(self.continuations))]
        return rv, items[:limit], new_token

    def events_after(self, since, matches):
        """(type, object) for the events after `since` that a watch filtered by matches(resource,
        namespace, object) sees. As the real watch cache does, a modification that makes an
        object match is ADDED for it, and one that makes it stop matching is DELETED."""
        out = []
        # The log is in resourceVersion order: start after `since` instead of scanning it all
        # (every write wakes every open watch, so a full scan cost each write the length of the log
        # times the number of watches).
        first = bisect.bisect_right(self.events, since, key=lambda e: e[0])
        for event in itertools.islice(self.events, first, None):
            rv, resource, namespace, _, kind, obj, previous = event
            now = matches(resource, namespace, obj)
            before = previous is not None and matches(resource, namespace, previous)
            if kind != "MODIFIED" or (now and before):
                if now:
                    out.append((kind, obj))
            elif now:
                out.append(("ADDED", obj))
            elif before:
                out.append(("DELETED", obj))
        return out

    def drop_watches(self):
        with self.lock:
            self.watch_generation += 1
            self.changed.notify_all()


def parse_label_selector(text):
    """A list of (key, op, value) for the equality-based forms kubectl and clients send:
    `k=v`, `k==v`, `k!=v`, `k` (exists), `!k` (does not exist), comma-separated (all must hold).
    Raises ValueError naming the term it does not support (set-based `in`/`notin`)."""
    terms = []
    for term in (t.strip() for t in text.split(",")):
        if not term:
            continue
        if " in " in term or " notin " in term or "(" in term:
            raise ValueError("unsupported label selector term %r: only k=v, k==v, k!=v, k, !k"
                             % term)
        if "!=" in term:
            k, v = term.split("!=", 1)
            terms.append((k.strip(), "!=", v.strip()))
        elif "==" in term:
            k, v = term.split("==", 1)
            terms.append((k.strip(), "=", v.strip()))
        elif "=" in term:
            k, v = term.split("=", 1)
            terms.append((k.strip(), "=", v.strip()))
        elif term.startswith("!"):
            terms.append((term[1:].strip(), "!", None))
        else:
            terms.append((term, "exists", None))
    return terms


def labels_match(terms, obj):
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for key, op, value in terms:
        if op == "=" and labels.get(key) != value:
            return False
        if op == "!=" and labels.get(key) == value:
            return False
        if op == "exists" and key not in labels:
            return False
        if op == "!" and key in labels:
            return False
    return True


FIELDS = {"metadata.name": ("name",), "metadata.namespace": ("namespace",)}


def parse_field_selector(text):
    """A list of (field, value): only metadata.name= and metadata.namespace= are supported (the
    real server supports a few more per kind). Raises ValueError for anything else."""
    terms = []
    for term in (t.strip() for t in text.split(",")):
        if not term:
            continue
        field, sep, value = term.partition("=")
        field = field.rstrip("=")
        value = value.lstrip("=")
        if not sep or field not in FIELDS:
            raise ValueError("unsupported field selector %r: only metadata.name=NAME and "
                             "metadata.namespace=NAMESPACE are supported" % term)
        terms.append((field, value))
    return terms


def fields_match(terms, obj):
    meta = obj.get("metadata") or {}
    return all(meta.get(FIELDS[f][0], "") == v for f, v in terms)


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch: objects merge key by key, null removes, anything else (lists
    too) replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


# The lists that strategic merge patch merges element by element, by this key (the
# patchMergeKey of k8s.io/api for the fields the served kinds have); every other list is replaced.
MERGE_KEYS = {"spec.ports": "port", "status.conditions": "type",
              "metadata.ownerReferences": "uid", "status.addresses": "type"}


def strategic_merge_patch(target, patch, path=""):
    """Strategic merge patch as kubectl apply sends it, for the served kinds: merge patch, except
    that the lists named in MERGE_KEYS merge by key (`$patch: delete` removes an element,
    `$setElementOrder/FIELD` orders the result) and `$retainKeys` keeps only the keys it names.
    Other directives are refused with ValueError."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    orders = {}
    for key, value in patch.items():
        where = path + "." + key if path else key
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value
        elif key == "$retainKeys":
            out = {k: v for k, v in out.items() if k in value or k in patch}
        elif key.startswith("$"):
            raise ValueError("strategic merge patch directive %s at %s is not supported"
                             % (key, path or "the top"))
        elif value is None:
            out.pop(key, None)
        elif isinstance(value, list) and where in MERGE_KEYS:
            out[key] = merge_list(out.get(key) or [], value, MERGE_KEYS[where], where)
        else:
            out[key] = strategic_merge_patch(out.get(key), value, where)
    for key, order in orders.items():
        merge_key = MERGE_KEYS.get(path + "." + key if path else key)
        if merge_key and isinstance(out.get(key), list):
            rank = {e.get(merge_key): i for i, e in enumerate(order)}
            out[key].sort(key=lambda e: rank.get(e.get(merge_key), len(rank)))
    return out


def merge_list(current, patch, merge_key, where):
    out = [copy.deepcopy(e) for e in current]
    for element in patch:
        if not isinstance(element, dict) or merge_key not in element:
            raise ValueError("an element of %s has no %s, the key it merges by"
                             % (where, merge_key))
        index = next((i for i, e in enumerate(out) if e.get(merge_key) == element[merge_key]),
                     None)
        if element.get("$patch") == "delete":
            if index is not None:
                del out[index]
        elif index is None:
            out.append(strategic_merge_patch({}, element, where))
        else:
            out[index] = strategic_merge_patch(out[index], element, where)
    return out
