"""Unit tests of the test API server's pure parts: selectors, patches, the event log's watch
view, Service defaults and allocations, protobuf bodies. Run: python3 -m unittest discover -s
tests/e2e/apiserver -p '*_test.py'."""

import argparse
import sys
import unittest

sys.dont_write_bytecode = True
import kinds  # noqa: E402
import protobuf  # noqa: E402
import store  # noqa: E402

OPTIONS = argparse.Namespace(service_cidr="10.96.0.0/29", service_cidr6="fd00:96::/125")


def labelled(**labels):
    return {"metadata": {"name": "x", "namespace": "default", "labels": labels}}


class SelectorTest(unittest.TestCase):
    def test_equality_forms(self):
        terms = store.parse_label_selector("kubernetes.io/service-name=web,tier==front,env!=prod")
        self.assertTrue(store.labels_match(terms, labelled(**{
            "kubernetes.io/service-name": "web", "tier": "front"})))
        self.assertFalse(store.labels_match(terms, labelled(**{
            "kubernetes.io/service-name": "web", "tier": "front", "env": "prod"})))
        self.assertFalse(store.labels_match(terms, labelled(tier="front")))

    def test_exists_and_not_exists(self):
        self.assertTrue(store.labels_match(store.parse_label_selector("a,!b"), labelled(a="")))
        self.assertFalse(store.labels_match(store.parse_label_selector("a,!b"),
                                            labelled(a="", b="1")))

    def test_set_based_is_refused_by_name(self):
        with self.assertRaisesRegex(ValueError, "env in"):
            store.parse_label_selector("env in (a,b)")

    def test_field_selector(self):
        terms = store.parse_field_selector("metadata.name=x,metadata.namespace==default")
        self.assertTrue(store.fields_match(terms, labelled()))
        self.assertFalse(store.fields_match(store.parse_field_selector("metadata.name=y"),
                                            labelled()))
        with self.assertRaisesRegex(ValueError, "spec.nodeName"):
            store.parse_field_selector("spec.nodeName=n1")


class PatchTest(unittest.TestCase):
    def test_merge_patch_rfc7386(self):
        # RFC 7386 section 3's example.
        target = {"title": "Goodbye!", "author": {"givenName": "John", "familyName": "Doe"},
                  "tags": ["example", "sample"], "content": "This will be unchanged"}
        patch = {"title": "Hello!", "phoneNumber": "+01-123-456-7890",
                 "author": {"familyName": None}, "tags": ["example"]}
        self.assertEqual(store.merge_patch(target, patch),
                         {"title": "Hello!", "author": {"givenName": "John"},
                          "tags": ["example"], "content": "This will be unchanged",
                          "phoneNumber": "+01-123-456-7890"})

    def test_strategic_merge_patch_merges_ports_by_port(self):
        target = {"spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080},
                                     {"name": "https", "port": 443, "targetPort": 8443}]}}
        patch = {"spec": {"$setElementOrder/ports": [{"port": 80}, {"port": 443}],
                          "ports": [{"port": 80, "targetPort": 9090}]}}
        self.assertEqual(store.strategic_merge_patch(target, patch)["spec"]["ports"],
                         [{"name": "http", "port": 80, "targetPort": 9090},
                          {"name": "https", "port": 443, "targetPort": 8443}])

    def test_strategic_merge_patch_deletes_and_orders(self):
        target = {"spec": {"ports": [{"port": 80}, {"port": 443}]}}
        patch = {"spec": {"$setElementOrder/ports": [{"port": 8080}, {"port": 443}],
                          "ports": [{"port": 8080}, {"port": 80, "$patch": "delete"}]}}
        self.assertEqual(store.strategic_merge_patch(target, patch)["spec"]["ports"],
                         [{"port": 8080}, {"port": 443}])

    def test_strategic_merge_patch_replaces_other_lists(self):
        target = {"status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}, {"ip": "::1"}]}}}
        patch = {"status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.2"}]}}}
        self.assertEqual(store.strategic_merge_patch(target, patch)["status"],
                         {"loadBalancer": {"ingress": [{"ip": "10.0.0.2"}]}})

    def test_unknown_directive_is_refused(self):
        with self.assertRaisesRegex(ValueError, r"\$deleteFromPrimitiveList/finalizers"):
            store.strategic_merge_patch({}, {"metadata": {
                "$deleteFromPrimitiveList/finalizers": ["a"]}})


class EventLogTest(unittest.TestCase):
    def make(self, event_log=3):
        s = store.Store("", event_log)
        return s

    def write(self, s, name, kind, **labels):
        s.next_rv()
        obj = labelled(**labels)
        obj["metadata"]["name"] = name
        obj["metadata"]["resourceVersion"] = str(s.rv)
        with s.lock:
            s.write(("/v1/services", "default", name), kind, obj)

    def test_label_transitions_are_added_and_deleted(self):
        s = self.make(10)
        start = s.rv
        self.write(s, "a", "ADDED", app="web")
        self.write(s, "a", "MODIFIED", app="other")
        self.write(s, "a", "MODIFIED", app="web")
        self.write(s, "a", "MODIFIED", app="web", extra="1")
        terms = store.parse_label_selector("app=web")
        seen = s.events_after(start, lambda r, ns, o: store.labels_match(terms, o))
        self.assertEqual([k for k, _ in seen], ["ADDED", "DELETED", "ADDED", "MODIFIED"])

    def test_too_old_once_the_log_no_longer_reaches_back(self):
        s = self.make(3)
        start = s.rv
        for name in "abc":
            self.write(s, name, "ADDED")
        self.assertFalse(s.too_old(start))
        self.write(s, "d", "ADDED")
        self.assertTrue(s.too_old(start))
        self.assertFalse(s.too_old(start + 1))

    def test_expire_makes_every_version_so_far_too_old(self):
        s = self.make(10)
        self.write(s, "a", "ADDED")
        latest = s.rv
        generation = s.watch_generation
        with s.lock:
            s.expire()
        self.assertTrue(s.too_old(latest))
        self.assertFalse(s.too_old(s.rv))  # what a list made now returns
        self.assertNotEqual(s.watch_generation, generation)
        self.write(s, "b", "ADDED")
        self.assertFalse(s.too_old(s.rv))
        with s.lock:
            s.expire(latest)
        self.assertTrue(s.too_old(latest - 1))
        self.assertFalse(s.too_old(latest))

    def test_pages_come_from_the_first_pages_snapshot(self):
        s = self.make(10)
        rv, first, token = s.page(["a", "b", "c"], "7", 2, "")
        self.assertEqual((rv, first), ("7", ["a", "b"]))
        self.assertTrue(token)
        self.assertEqual(s.page([], "9", 2, token), ("7", ["c"], ""))
        self.assertIsNone(s.page([], "9", 2, token))  # used up
        self.assertEqual(s.page(["a"], "9", 0, ""), ("9", ["a"], ""))
        _, _, token = s.page(["a", "b"], "9", 1, "")
        with s.lock:
            s.expire()
        self.assertIsNone(s.page([], "9", 1, token))


class ServiceTest(unittest.TestCase):
    def prepare(self, spec, old=None, others=()):
        svc = {"metadata": {"name": "web"}, "spec": spec}
        kinds.Service().prepare(svc, old, list(others), OPTIONS)
        return svc

    def test_defaults_and_allocations(self):
        svc = self.prepare({"type": "LoadBalancer", "ports": [{"port": 80}]})
        spec = svc["spec"]
        self.assertEqual(spec["clusterIP"], "10.96.0.2")  # .1 is the `kubernetes` Service's
        self.assertEqual(spec["ports"], [{"port": 80, "protocol": "TCP", "targetPort": 80,
                                          "nodePort": 30000}])
        self.assertEqual(spec["externalTrafficPolicy"], "Cluster")
        self.assertEqual(svc["status"], {"loadBalancer": {}})

    def test_allocation_skips_used_and_reports_a_full_range(self):
        others = [self.prepare({"ports": [{"port": 80}], "clusterIP": "10.96.0.%d" % i})
                  for i in (2, 3, 4, 5)]
        self.assertEqual(self.prepare({"ports": [{"port": 80}]}, None, others)["spec"]
                         ["clusterIP"], "10.96.0.6")
        others.append(self.prepare({"ports": [{"port": 80}], "clusterIP": "10.96.0.6"}))
        with self.assertRaises(kinds.Invalid) as e:
            self.prepare({"ports": [{"port": 80}]}, None, others)
        self.assertIn("range is full", e.exception.causes[0][1])

    def test_dual_stack(self):
        spec = self.prepare({"ports": [{"port": 80}], "ipFamilyPolicy": "RequireDualStack"})["spec"]
        self.assertEqual(spec["ipFamilies"], ["IPv4", "IPv6"])
        self.assertEqual(spec["clusterIPs"], ["10.96.0.2", "fd00:96::2"])

    def test_update_keeps_cluster_ip_and_node_ports_and_refuses_a_change(self):
        old = self.prepare({"type": "LoadBalancer", "ports": [{"port": 80}]})
        other = self.prepare({"type": "NodePort", "ports": [{"port": 80}]}, None, [old])
        self.assertEqual(other["spec"]["ports"][0]["nodePort"], 30001)
        new = self.prepare({"type": "LoadBalancer", "ports": [{"port": 80}, {"port": 81}]},
                           old, [other])
        self.assertEqual(new["spec"]["clusterIP"], old["spec"]["clusterIP"])
        self.assertEqual([p["nodePort"] for p in new["spec"]["ports"]], [30000, 30002])
        with self.assertRaises(kinds.Invalid):
            self.prepare({"ports": [{"port": 80}], "clusterIP": "10.96.0.7"}, old, [])

    def test_validation_names_the_field(self):
        with self.assertRaises(kinds.Invalid) as e:
            kinds.Service().check({"metadata": {"name": "web"},
                                   "spec": {"ports": [{"port": 80}, {"port": 70000}]}})
        fields = [f for f, _ in e.exception.causes]
        self.assertEqual(fields, ["spec.ports[0].name", "spec.ports[1].port",
                                  "spec.ports[1].name"])

    def test_table_shows_the_status_address(self):
        svc = self.prepare({"type": "LoadBalancer", "ports": [{"port": 80}]})
        svc["metadata"]["creationTimestamp"] = "2024-01-01T00:00:00Z"
        self.assertEqual(kinds.Service().cells(svc)[1:], ["LoadBalancer", "10.96.0.2",
                                                         "<pending>", "80:30000/TCP"])
        svc["status"] = {"loadBalancer": {"ingress": [{"ip": "10.201.0.150"}]}}
        self.assertEqual(kinds.Service().cells(svc)[3], "10.201.0.150")


def field(number, value):
    """One protocol-buffer field: varint for ints, length-delimited for bytes."""
    def varint(n):
        out = b""
        while True:
            b, n = n & 0x7F, n >> 7
            out += bytes([b | (0x80 if n else 0)])
            if not n:
                return out
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    return varint(number << 3 | 2) + varint(len(value)) + value


class ProtobufTest(unittest.TestCase):
    def test_service_as_kubectl_create_sends_it(self):
        port = field(1, b"80-8080") + field(2, b"TCP") + field(3, 80) + \
            field(4, field(1, 0) + field(2, 8080)) + field(5, 0)
        meta = field(1, b"web") + field(4, b"") + field(11, field(1, b"app") + field(2, b"web"))
        spec = field(1, port) + field(2, field(1, b"app") + field(2, b"web")) + \
            field(4, b"LoadBalancer") + field(10, b"")
        raw = field(1, meta) + field(2, spec) + field(3, b"")
        body = b"k8s\x00" + field(1, field(1, b"v1") + field(2, b"Service")) + field(2, raw)
        self.assertEqual(protobuf.decode(body), {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"ports": [{"name": "80-8080", "protocol": "TCP", "port": 80,
                                "targetPort": 8080}],
                     "selector": {"app": "web"}, "type": "LoadBalancer"}})

    def test_an_unknown_non_empty_field_is_named(self):
        raw = field(1, field(99, b"x"))
        body = b"k8s\x00" + field(1, field(1, b"v1") + field(2, b"ConfigMap")) + field(2, raw)
        with self.assertRaisesRegex(protobuf.Unsupported, "field 99 of ConfigMap.metadata"):
            protobuf.decode(body)

    def test_other_kinds_are_refused(self):
        body = b"k8s\x00" + field(1, field(1, b"v1") + field(2, b"Pod"))
        with self.assertRaisesRegex(protobuf.Unsupported, "'Pod'"):
            protobuf.decode(body)


if __name__ == "__main__":
    unittest.main()
