"""Kubernetes protobuf request bodies, decoded into the JSON form the server stores.

kubectl's typed clients (`kubectl create service ...`, `kubectl create configmap ...`) send
`application/vnd.kubernetes.protobuf`: the 4-byte magic "k8s\\0", then a runtime.Unknown message
(1: typeMeta {1: apiVersion, 2: kind}, 2: raw, the object's own message). This decodes the
protocol-buffer wire format (varint, 64-bit, length-delimited, 32-bit) against the schemas below,
the field numbers of k8s.io/api's generated.proto for the fields those commands send. A field
the schema does not know is an error naming it, never silently dropped, unless it is empty (the
generated Go code writes empty strings and zeros of non-pointer fields).
"""

import base64


class Unsupported(Exception):
    pass


def varint(data, pos):
    shift = result = 0
    while True:
        if pos >= len(data):
            raise Unsupported("truncated varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def fields(data):
    """(field number, wire type, value) triples: value is an int or bytes."""
    pos = 0
    while pos < len(data):
        key, pos = varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(data, pos)
        elif wire == 1:
            value, pos = int.from_bytes(data[pos:pos + 8], "little"), pos + 8
        elif wire == 2:
            length, pos = varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = int.from_bytes(data[pos:pos + 4], "little"), pos + 4
        else:
            raise Unsupported("wire type %d of field %d" % (wire, number))
        yield number, wire, value


# Schemas: field number -> (json name, type, repeated). Types: "string", "int", "bool", "bytes",
# "map" (map<string,string>), "bytesmap" (map<string,bytes>), "intorstring", "skip" (server-set
# fields such as creationTimestamp, which kubectl sends empty), or a nested schema (a dict).
INT_OR_STRING = "intorstring"
OBJECT_META = {1: ("name", "string", False), 2: ("generateName", "string", False),
               3: ("namespace", "string", False), 6: ("resourceVersion", "string", False),
               8: ("creationTimestamp", "skip", False), 11: ("labels", "map", False),
               12: ("annotations", "map", False), 14: ("finalizers", "string", True),
               17: ("managedFields", "skip", False)}
SERVICE_PORT = {1: ("name", "string", False), 2: ("protocol", "string", False),
                3: ("port", "int", False), 4: ("targetPort", INT_OR_STRING, False),
                5: ("nodePort", "int", False), 6: ("appProtocol", "string", False)}
SERVICE_SPEC = {1: ("ports", SERVICE_PORT, True), 2: ("selector", "map", False),
                3: ("clusterIP", "string", False), 4: ("type", "string", False),
                5: ("externalIPs", "string", True), 7: ("sessionAffinity", "string", False),
                8: ("loadBalancerIP", "string", False),
                9: ("loadBalancerSourceRanges", "string", True),
                10: ("externalName", "string", False),
                11: ("externalTrafficPolicy", "string", False),
                12: ("healthCheckNodePort", "int", False),
                13: ("publishNotReadyAddresses", "bool", False),
                17: ("ipFamilyPolicy", "string", False), 18: ("clusterIPs", "string", True),
                19: ("ipFamilies", "string", True),
                20: ("allocateLoadBalancerNodePorts", "bool", False),
                21: ("loadBalancerClass", "string", False),
                22: ("internalTrafficPolicy", "string", False)}
SCHEMAS = {
    "Service": {1: ("metadata", OBJECT_META, False), 2: ("spec", SERVICE_SPEC, False),
                3: ("status", "skip", False)},
    "ConfigMap": {1: ("metadata", OBJECT_META, False), 2: ("data", "map", False),
                  3: ("binaryData", "bytesmap", False), 4: ("immutable", "bool", False)},
}


def decode_message(data, schema, where):
    out = {}
    for number, wire, value in fields(data):
        if number not in schema:
            if value in (0, b""):
                continue  # gogo-protobuf writes every non-pointer field, empty ones too
            raise Unsupported("field %d of %s is not known to this server (%r)"
                              % (number, where, value))
        name, kind, repeated = schema[number]
        if kind == "skip":
            continue
        if kind in ("map", "bytesmap"):
            entry = {n: v for n, _, v in fields(value)}
            v = entry.get(2, b"")
            out.setdefault(name, {})[entry.get(1, b"").decode()] = \
                v.decode() if kind == "map" else base64.b64encode(v).decode()
            continue
        if isinstance(kind, dict):
            decoded = decode_message(value, kind, where + "." + name)
        elif kind == "string":
            decoded = value.decode()
        elif kind == "int":
            decoded = value - (1 << 64) if value >= 1 << 63 else value
        elif kind == "bool":
            decoded = bool(value)
        elif kind == INT_OR_STRING:
            parts = {n: v for n, _, v in fields(value)}
            decoded = parts.get(3, b"").decode() if parts.get(1) == 1 else parts.get(2, 0)
        else:
            decoded = base64.b64encode(value).decode()
        if repeated:
            out.setdefault(name, []).append(decoded)
        elif decoded not in ("", 0) or isinstance(decoded, bool):
            # An empty string or zero is how the Go side writes "unset" (JSON's omitempty).
            out[name] = decoded
    return out


def decode(body):
    """The JSON object of a Kubernetes protobuf body; raises Unsupported naming what it cannot
    decode."""
    if body[:4] != b"k8s\x00":
        raise Unsupported("no k8s protobuf magic")
    unknown = {n: v for n, _, v in fields(body[4:])}
    type_meta = {n: v.decode() for n, _, v in fields(unknown.get(1, b""))}
    kind = type_meta.get(2, "")
    if kind not in SCHEMAS:
        raise Unsupported("protobuf bodies of kind %r (only %s)" % (kind, ", ".join(SCHEMAS)))
    obj = decode_message(unknown.get(2, b""), SCHEMAS[kind], kind)
    return dict(obj, apiVersion=type_meta.get(1, ""), kind=kind)
