"""The kinds the test API server serves, one table entry each: what discovery says about them,
how an object is validated and stored (defaults, server-assigned fields), and the Table rows
`kubectl get` prints. The HTTP side (apiserver.py) and the store (store.py) know nothing per kind.

Served: coordination.k8s.io/v1 Leases; core/v1 Services (status subresource, clusterIP from a
small service CIDR, nodePorts for NodePort and LoadBalancer), Endpoints, ConfigMaps, Nodes
(cluster-scoped, status subresource); discovery.k8s.io/v1 EndpointSlices.
"""

import datetime
import ipaddress
import re

MICROTIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
NODE_PORTS = range(30000, 32768)


class Invalid(Exception):
    """A 422 Invalid answer: causes is a list of (field, message)."""

    def __init__(self, causes):
        super().__init__(causes)
        self.causes = causes


class BadRequest(Exception):
    """A 400 BadRequest answer with this message."""


class Kind:
    """One served resource. Subclasses override the hooks; the defaults fit a plain kind."""
    group = ""
    version = "v1"
    resource = ""
    singular = ""
    kind = ""
    namespaced = True
    short_names = []
    categories = []
    status_subresource = False
    # The real registry's AllowCreateOnUpdate: a PUT of a missing object creates it.
    create_on_update = False
    # Metadata a client may set; name, namespace, uid, resourceVersion and creationTimestamp are
    # the server's.
    meta_keys = ("labels", "annotations", "ownerReferences", "finalizers", "generateName")
    name_rule = (DNS1123_SUBDOMAIN, "a lowercase RFC 1123 subdomain")
    storage_hash = ""

    @property
    def gv(self):
        return self.group + "/" + self.version if self.group else self.version

    @property
    def key(self):
        return "%s/%s/%s" % (self.group, self.version, self.resource)

    @property
    def qualified(self):
        """services, leases.coordination.k8s.io: how messages name the resource."""
        return self.resource + ("." + self.group if self.group else "")

    def discovery(self):
        verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]
        if self.kind == "Lease":
            verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update",
                     "watch"]
        out = [{"name": self.resource, "singularName": self.singular,
                "namespaced": self.namespaced, "kind": self.kind, "verbs": verbs}]
        if self.short_names:
            out[0]["shortNames"] = self.short_names
        if self.categories:
            out[0]["categories"] = self.categories
        if self.storage_hash:
            out[0]["storageVersionHash"] = self.storage_hash
        if self.status_subresource:
            out.append({"name": self.resource + "/status", "singularName": "",
                        "namespaced": self.namespaced, "kind": self.kind,
                        "verbs": ["get", "patch", "update"]})
        return out

    def check(self, obj):
        """Raises BadRequest or Invalid for what the kind's validation refuses."""
        name = (obj.get("metadata") or {}).get("name", "")
        rule, words = self.name_rule
        if not name:
            raise Invalid([("metadata.name", "Required value: name or generateName is required")])
        if not rule.match(name) or len(name) > (63 if rule is DNS1035_LABEL else 253):
            raise Invalid([("metadata.name", "Invalid value: %r: %s" % (name, words))])
        self.validate(obj)

    def validate(self, obj):
        pass

    def stored(self, obj, meta):
        """The object as stored: meta is the server-made metadata (name, namespace, uid,
        resourceVersion, creationTimestamp, and the client's meta_keys)."""
        out = {"kind": self.kind, "apiVersion": self.gv, "metadata": meta}
        for key, value in obj.items():
            if key not in ("kind", "apiVersion", "metadata") and value is not None:
                out[key] = value
        return out

    def prepare(self, new, old, objects, options):
        """Defaults and server-assigned fields, on create (old None) and update. objects is every
        stored object of this kind (for allocations), options the server's command line."""

    def columns(self):
        return [("Name", "name", "Name must be unique within a namespace.")]

    def cells(self, obj):
        return [obj["metadata"]["name"]]

    def wide_columns(self):
        """Columns kubectl shows only with -o wide (priority 1), after Age."""
        return []

    def wide_cells(self, obj):
        return []

    def table_columns(self):
        return self.columns() + [("Age", "", "CreationTimestamp is a timestamp representing the "
                                  "server time when this object was created.")] + \
            [c + (1,) for c in self.wide_columns()]

    def table_cells(self, obj):
        return self.cells(obj) + [age(obj["metadata"].get("creationTimestamp"))] + \
            self.wide_cells(obj)


def age(created):
    if not created:
        return "<unknown>"
    t = datetime.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)
    s = int((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds())
    return "%ds" % s if s < 120 else "%dm" % (s // 60)


class Lease(Kind):
    group, resource, singular, kind = "coordination.k8s.io", "leases", "lease", "Lease"
    create_on_update = True
    meta_keys = ("labels", "annotations")
    storage_hash = "gqkMMb/YqFM="
    SPEC = ("holderIdentity", "leaseDurationSeconds", "acquireTime", "renewTime",
            "leaseTransitions", "strategy", "preferredHolder")

    def validate(self, obj):
        spec = obj.get("spec") or {}
        for field in ("acquireTime", "renewTime"):
            v = spec.get(field)
            if v is not None and (not isinstance(v, str) or not MICROTIME.match(v)):
                raise BadRequest("parsing time %r: not RFC 3339 (spec.%s)" % (v, field))
        causes = []
        d = spec.get("leaseDurationSeconds")
        if d is not None and (not isinstance(d, int) or d <= 0):
            causes.append(("spec.leaseDurationSeconds",
                           "Invalid value: %r: must be greater than 0" % d))
        t = spec.get("leaseTransitions")
        if t is not None and (not isinstance(t, int) or t < 0):
            causes.append(("spec.leaseTransitions", "Invalid value: %r: must be greater than or "
                           "equal to 0" % t))
        if causes:
            raise Invalid(causes)

    def stored(self, obj, meta):
        spec = {k: v for k, v in (obj.get("spec") or {}).items()
                if k in self.SPEC and v is not None}
        return {"kind": "Lease", "apiVersion": self.gv, "metadata": meta, "spec": spec}

    def columns(self):
        return super().columns() + [("Holder", "", "holderIdentity contains the identity of the "
                                     "holder of a current lease.")]

    def cells(self, obj):
        return super().cells(obj) + [obj["spec"].get("holderIdentity", "")]


class Service(Kind):
    resource, singular, kind = "services", "service", "Service"
    short_names, categories = ["svc"], ["all"]
    status_subresource = True
    name_rule = (DNS1035_LABEL, "a DNS-1035 label (lowercase letters, digits and '-', starting "
                 "with a letter, at most 63 characters)")
    TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")

    def validate(self, obj):
        spec = obj.get("spec") or {}
        causes = []
        kind = spec.get("type", "ClusterIP")
        if kind not in self.TYPES:
            causes.append(("spec.type", "Unsupported value: %r: supported values: %s"
                           % (kind, ", ".join('"%s"' % t for t in self.TYPES))))
        ports = spec.get("ports") or []
        if not ports and kind != "ExternalName" and spec.get("clusterIP") != "None":
            causes.append(("spec.ports", "Required value"))
        for i, port in enumerate(ports):
            where = "spec.ports[%d]" % i
            if not isinstance(port, dict):
                causes.append((where, "Invalid value: not an object"))
                continue
            p = port.get("port")
            if not isinstance(p, int) or not 1 <= p <= 65535:
                causes.append((where + ".port", "Invalid value: %r: must be between 1 and 65535, "
                               "inclusive" % p))
            if port.get("protocol", "TCP") not in ("TCP", "UDP", "SCTP"):
                causes.append((where + ".protocol", "Unsupported value: %r: supported values: "
                               '"SCTP", "TCP", "UDP"' % port.get("protocol")))
            if len(ports) > 1 and not port.get("name"):
                causes.append((where + ".name", "Required value"))
            np = port.get("nodePort")
            if np not in (None, 0) and (not isinstance(np, int) or np not in NODE_PORTS):
                causes.append((where + ".nodePort", "Invalid value: %r: provided port is not in "
                               "the valid range. The range of valid ports is 30000-32767" % np))
        for i, ip in enumerate(spec.get("externalIPs") or []):
            if not valid_ip(ip):
                causes.append(("spec.externalIPs[%d]" % i, "Invalid value: %r: must be a valid "
                               "IP address" % ip))
        if causes:
            raise Invalid(causes)

    def prepare(self, new, old, objects, options):
        spec = new.setdefault("spec", {})
        old_spec = (old or {}).get("spec") or {}
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
        if spec["type"] == "ExternalName":
            return
        if spec["type"] in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
        if spec["type"] == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)
        spec.setdefault("internalTrafficPolicy", "Cluster")
        self.assign_cluster_ips(spec, old_spec, objects, options)
        self.assign_node_ports(spec, old_spec, objects)
        if old is None:
            new["status"] = {"loadBalancer": {}}

    def assign_cluster_ips(self, spec, old_spec, objects, options):
        # The cluster IPs are immutable: an update that leaves them out keeps the old ones (as
        # the real registry's patchAllocatedValues does), one that changes them is refused.
        if old_spec.get("clusterIPs"):
            if spec.get("clusterIP") not in (None, "", old_spec.get("clusterIP")):
                raise Invalid([("spec.clusterIPs[0]", "Invalid value: %r: may not change once "
                                "set" % spec["clusterIP"])])
            for field in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
                spec[field] = old_spec.get(field)
            return
        if spec.get("clusterIP") == "None":
            spec["clusterIPs"] = ["None"]
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
            return
        policy = spec.get("ipFamilyPolicy") or "SingleStack"
        families = list(spec.get("ipFamilies") or [])
        if not families:
            families = ["IPv4", "IPv6"] if policy != "SingleStack" else ["IPv4"]
        elif len(families) == 1 and policy != "SingleStack":
            families.append("IPv6" if families[0] == "IPv4" else "IPv4")
        used = {ip for o in objects for ip in (o.get("spec") or {}).get("clusterIPs") or []}
        wanted = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
        ips = []
        for i, family in enumerate(families):
            cidr = ipaddress.ip_network(options.service_cidr if family == "IPv4"
                                        else options.service_cidr6)
            if i < len(wanted) and wanted[i]:
                ip = wanted[i]
                if not valid_ip(ip) or ipaddress.ip_address(ip) not in cidr:
                    raise Invalid([("spec.clusterIPs[%d]" % i, "Invalid value: %r: provided IP "
                                    "is not in the valid range. The range of valid IPs is %s"
                                    % (ip, cidr))])
                if ip in used:
                    raise Invalid([("spec.clusterIPs[%d]" % i, "Invalid value: %r: provided "
                                    "IP is already allocated" % ip)])
            else:
                # .1 is the `kubernetes` Service's on a real cluster.
                free = (str(h) for h in cidr.hosts() if int(h) - int(cidr.network_address) > 1
                        and str(h) not in used)
                ip = next(free, None)
                if ip is None:
                    raise Invalid([("spec.clusterIPs", "Internal error: range is full: %s"
                                    % cidr)])
            ips.append(ip)
        spec["clusterIP"], spec["clusterIPs"] = ips[0], ips
        spec["ipFamilies"], spec["ipFamilyPolicy"] = families, policy

    def assign_node_ports(self, spec, old_spec, objects):
        if spec["type"] not in ("NodePort", "LoadBalancer"):
            for port in spec.get("ports") or []:
                port.pop("nodePort", None)
            return
        if spec["type"] == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is False:
            return
        kept = {(p.get("port"), p.get("protocol")): p.get("nodePort")
                for p in old_spec.get("ports") or [] if p.get("nodePort")}
        used = {(p.get("nodePort"), p.get("protocol")) for o in objects
                for p in (o.get("spec") or {}).get("ports") or [] if p.get("nodePort")}
        used -= set((n, proto) for (_, proto), n in kept.items())
        for i, port in enumerate(spec.get("ports") or []):
            if not port.get("nodePort"):
                port["nodePort"] = kept.get((port["port"], port["protocol"]))
            if port.get("nodePort"):
                if (port["nodePort"], port["protocol"]) in used:
                    raise Invalid([("spec.ports[%d].nodePort" % i, "Invalid value: %d: provided "
                                    "port is already allocated" % port["nodePort"])])
            else:
                port["nodePort"] = next(n for n in NODE_PORTS
                                        if (n, port["protocol"]) not in used)
            used.add((port["nodePort"], port["protocol"]))

    def columns(self):
        return super().columns() + [
            ("Type", "", "type determines how the Service is exposed."),
            ("Cluster-IP", "", "clusterIP is the IP address of the service."),
            ("External-IP", "", "externalIPs is a list of IP addresses for which nodes in the "
             "cluster will also accept traffic for this service."),
            ("Port(s)", "", "The list of ports that are exposed by this service.")]

    def cells(self, obj):
        spec = obj.get("spec") or {}
        kind = spec.get("type", "ClusterIP")
        external = list(spec.get("externalIPs") or [])
        if kind == "LoadBalancer":
            ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
            external = [i.get("ip") or i.get("hostname") for i in ingress
                        if i.get("ip") or i.get("hostname")] + external
            shown = ",".join(external) or "<pending>"
        elif kind == "ExternalName":
            shown = spec.get("externalName", "")
        else:
            shown = ",".join(external) or "<none>"
        ports = ",".join(("%s:%s/%s" % (p["port"], p["nodePort"], p.get("protocol", "TCP")))
                         if p.get("nodePort") else "%s/%s" % (p["port"], p.get("protocol", "TCP"))
                         for p in spec.get("ports") or []) or "<none>"
        return super().cells(obj) + [kind, spec.get("clusterIP", "<none>"), shown, ports]

    def wide_columns(self):
        return [("Selector", "", "Route service traffic to pods with label keys and values "
                 "matching this selector.")]

    def wide_cells(self, obj):
        selector = (obj.get("spec") or {}).get("selector") or {}
        return [",".join("%s=%s" % kv for kv in sorted(selector.items())) or "<none>"]


class Endpoints(Kind):
    resource, singular, kind = "endpoints", "endpoints", "Endpoints"
    short_names = ["ep"]
    create_on_update = True

    def columns(self):
        return super().columns() + [("Endpoints", "", "Endpoints is the list of endpoints.")]

    def cells(self, obj):
        shown = []
        for subset in obj.get("subsets") or []:
            for address in subset.get("addresses") or []:
                for port in subset.get("ports") or [{}]:
                    shown.append("%s:%s" % (address.get("ip"), port.get("port"))
                                 if port.get("port") else address.get("ip"))
        return super().cells(obj) + [",".join(shown) or "<none>"]


class EndpointSlice(Kind):
    group, resource, singular, kind = "discovery.k8s.io", "endpointslices", "endpointslice", \
        "EndpointSlice"

    def validate(self, obj):
        causes = []
        if obj.get("addressType") not in ("IPv4", "IPv6", "FQDN"):
            causes.append(("addressType", "Unsupported value: %r: supported values: \"FQDN\", "
                           "\"IPv4\", \"IPv6\"" % obj.get("addressType")))
        for i, endpoint in enumerate(obj.get("endpoints") or []):
            if not isinstance(endpoint, dict) or not endpoint.get("addresses"):
                causes.append(("endpoints[%d].addresses" % i, "Required value"))
        if causes:
            raise Invalid(causes)

    def prepare(self, new, old, objects, options):
        new.setdefault("endpoints", [])

    def columns(self):
        return super().columns() + [
            ("AddressType", "", "addressType of the endpoints."),
            ("Ports", "", "ports of the endpoints."),
            ("Endpoints", "", "endpoints of the slice.")]

    def cells(self, obj):
        ports = ",".join(str(p.get("port")) for p in obj.get("ports") or []) or "<unset>"
        addresses = [a for e in obj.get("endpoints") or [] for a in e.get("addresses") or []]
        return super().cells(obj) + [obj.get("addressType", ""), ports,
                                     ",".join(addresses) or "<unset>"]


class ConfigMap(Kind):
    resource, singular, kind = "configmaps", "configmap", "ConfigMap"
    short_names = ["cm"]

    def validate(self, obj):
        for field in ("data", "binaryData"):
            data = obj.get(field) or {}
            if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
                raise Invalid([(field, "Invalid value: every value must be a string")])

    def columns(self):
        return super().columns() + [("Data", "", "Number of keys in the ConfigMap.")]

    def cells(self, obj):
        return super().cells(obj) + [len(obj.get("data") or {}) + len(obj.get("binaryData") or {})]


class Node(Kind):
    resource, singular, kind = "nodes", "node", "Node"
    namespaced = False
    short_names = ["no"]
    status_subresource = True

    def columns(self):
        return super().columns() + [
            ("Status", "", "The status of the node"),
            ("Roles", "", "The roles of the node"),
            ("Version", "", "Kubelet Version reported by the node.")]

    def cells(self, obj):
        status = obj.get("status") or {}
        ready = [c for c in status.get("conditions") or [] if c.get("type") == "Ready"]
        shown = "Ready" if ready and ready[0].get("status") == "True" else \
            ("NotReady" if ready else "Unknown")
        if (obj.get("spec") or {}).get("unschedulable"):
            shown += ",SchedulingDisabled"
        labels = obj["metadata"].get("labels") or {}
        roles = sorted(k.split("/", 1)[1] for k in labels
                       if k.startswith("node-role.kubernetes.io/"))
        version = (status.get("nodeInfo") or {}).get("kubeletVersion", "")
        return super().cells(obj) + [shown, ",".join(roles) or "<none>", version]

    def table_columns(self):
        cols = self.columns()
        return cols[:3] + [super().table_columns()[len(cols)]] + cols[3:]

    def table_cells(self, obj):
        cells = self.cells(obj)
        return cells[:3] + [age(obj["metadata"].get("creationTimestamp"))] + cells[3:]


def valid_ip(text):
    try:
        ipaddress.ip_address(text)
        return True
    except (ValueError, TypeError):
        return False


KINDS = [Lease(), Service(), Endpoints(), EndpointSlice(), ConfigMap(), Node()]
BY_PATH = {(k.group, k.version, k.resource): k for k in KINDS}
