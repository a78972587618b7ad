#!/usr/bin/env python3
"""A 409 storm on a Lease: another writer updates it as fast as it can.

    lease_storm.py --server https://HOST:PORT --ca CA --token T --seconds S
                   [--namespace kube-system] [--name plndr-cp-lock]

Each round reads the Lease and writes it back with one annotation changed (the spec, and so the
holder, untouched), which gives it a new resourceVersion: every renewal the holder sent from the
version before gets 409 Conflict, as when another controller keeps touching the object. Prints
JSON {"writes", "own_conflicts", "errors"} (own_conflicts: this writer's updates that lost a race
with the holder's renewal).
"""
import argparse
import json
import ssl
import sys
import time
import urllib.error
import urllib.request


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--namespace", default="kube-system")
    p.add_argument("--name", default="plndr-cp-lock")
    args = p.parse_args()

    context = ssl.create_default_context(cafile=args.ca)
    url = (f"{args.server}/apis/coordination.k8s.io/v1/namespaces/{args.namespace}"
           f"/leases/{args.name}")
    headers = {"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"}
    writes = conflicts = errors = 0
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                        context=context, timeout=2) as answer:
                lease = json.load(answer)
            annotations = lease.setdefault("metadata", {}).setdefault("annotations", {})
            annotations["chaos.kube-vip.io/storm"] = str(writes)
            request = urllib.request.Request(url, data=json.dumps(lease).encode(),
                                             headers=headers, method="PUT")
            with urllib.request.urlopen(request, context=context, timeout=2):
                writes += 1
        except urllib.error.HTTPError as e:
            if e.code == 409:
                conflicts += 1
            else:
                errors += 1
                print(f"lease_storm: HTTP {e.code} from {url}", file=sys.stderr)
        except (OSError, ValueError) as e:
            errors += 1
            print(f"lease_storm: {e}", file=sys.stderr)
            time.sleep(0.05)
    print(json.dumps({"writes": writes, "own_conflicts": conflicts, "errors": errors}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
