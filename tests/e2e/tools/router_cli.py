#!/usr/bin/env python3
"""Turns what a BGP router's own CLI prints into one common form (tests/e2e/lib/routers.sh).

    router_cli.py route bird|frr|gobgp PREFIX < CLI output
        `birdc show route PREFIX all` / `vtysh -c 'show bgp AF unicast PREFIX json'` /
        `gobgp global rib -a AF PREFIX -j`; prints "absent", or one fact a line:
            present
            nexthop A            (every path)
            best A               (the best path's next hop)
            community AS:V       (the best path's, RFC 1997)
            large-community A:B:C (the best path's, RFC 8092)
            stale A              (a path via A kept as stale by Graceful Restart, RFC 4724)
    router_cli.py session bird|frr|gobgp ADDRESS < CLI output
        `birdc show protocols all NAME` / `vtysh -c 'show bgp neighbors ADDR json'` /
        `gobgp neighbor ADDR -j`; prints the RFC 4271 §8.2.2 state name (Idle, Connect, Active,
        OpenSent, OpenConfirm, Established), or "unknown" if the router has no such neighbour.
    router_cli.py session-end bird NAME|frr ADDRESS < log or CLI output
        BIRD's log (`log stderr all`) and the neighbour's protocol NAME / `vtysh -c 'show bgp
        neighbors ADDR json'`; how the last session with the neighbour ended: "cease-received"
        (it sent a Cease NOTIFICATION, RFC 4486), "none" (no end recorded), or the router's own
        words for anything else.

Standard library only. Unexpected text is an error naming the router and what was not understood.
"""

import ipaddress
import json
import re
import sys

STATES = ["Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"]


class Route:
    def __init__(self):
        self.paths = []  # dicts: nexthop, best, stale, communities, large


def parse_json(kind, text):
    text = text.strip()
    if not text:
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise SystemExit("router_cli: %s printed something that is not JSON (%s): %.200s" % (kind, e, text))


# ---- BIRD ---------------------------------------------------------------------------------------

BIRD_ROUTE_HEAD = re.compile(r"^(?:(\S+/\d+)\s+)?\s*unicast \[(\S+) [^\]]*\]\s*(\*)?")


def bird_gr_active_protocols(text):
    """The protocols of `show protocols all` whose neighbour is restarting gracefully."""
    active, name = set(), None
    for line in text.splitlines():
        m = re.match(r"^(\S+)\s+BGP\s", line)
        if m:
            name = m.group(1)
        elif name and line.strip() == "Neighbor graceful restart active":
            active.add(name)
    return active


def bird_route(text, prefix):
    route = Route()
    path = None
    text, _, protocols = text.partition("=== protocols\n")
    restarting = bird_gr_active_protocols(protocols)
    for line in text.splitlines():
        if line.startswith(("BIRD ", "Table ")) or not line.strip():
            continue
        if line.strip() == "Network not found":
            return route
        head = BIRD_ROUTE_HEAD.match(line)
        if head:
            if head.group(1) and ipaddress.ip_network(head.group(1)) != ipaddress.ip_network(prefix):
                path = None
                continue
            # BIRD 2 shows no stale flag on a route: a route is stale while the protocol it came
            # from says "Neighbor graceful restart active" (until End-of-RIB or the restart timer).
            path = {"nexthop": None, "best": bool(head.group(3)), "stale": head.group(2) in restarting,
                    "communities": [], "large": []}
            route.paths.append(path)
            continue
        if path is None:
            continue
        line = line.strip()
        if line.startswith("BGP.next_hop:"):
            path["nexthop"] = line.split()[1]
        elif line.startswith("BGP.community:"):
            path["communities"] = ["%s:%s" % pair for pair in re.findall(r"\((\d+),(\d+)\)", line)]
        elif line.startswith("BGP.large_community:"):
            path["large"] = ["%s:%s:%s" % t for t in re.findall(r"\((\d+), (\d+), (\d+)\)", line)]
        elif line.startswith("via ") and path["nexthop"] is None:
            path["nexthop"] = line.split()[1]
    return route


def bird_session(text, address):
    for line in text.splitlines():
        m = re.match(r"^\s*BGP state:\s+(\S+)", line)
        if m:
            state = m.group(1)
            # BIRD's "Passive" is Active waiting for the neighbour to connect (RFC 4271 §8.2.1.5).
            return "Active" if state == "Passive" else state
    if "syntax error" in text or "No protocols match" in text:
        return "unknown"
    raise SystemExit("router_cli: bird: no 'BGP state:' line for %s in: %.300s" % (address, text))


def bird_session_end(text, name):
    # BIRD logs "<RMT> NAME: Received: Administrative shutdown" for a Cease it receives, and
    # "NAME: Error: ..." for a session it ends itself; "Socket:" lines are connection attempts,
    # not the end of a session. (A session its hold timer ended leaves no line at all with
    # "log stderr all" in BIRD 2.0.12: "none".)
    ended = None
    for line in text.splitlines():
        m = re.search(r"\b%s: (Received: .*|Error: .*|BGP Error: .*)$" % re.escape(name), line)
        if m:
            ended = m.group(1).strip()
    if ended is None:
        return "none"
    if ended.startswith("Received: ") and ended[len("Received: "):] in BIRD_CEASE_SUBCODES:
        return "cease-received"
    return ended


# BIRD's names of the Cease subcodes (RFC 4486 §4), as it logs a received one.
BIRD_CEASE_SUBCODES = {
    "Maximum number of prefixes reached", "Administrative shutdown", "Peer de-configured",
    "Administrative reset", "Connection rejected", "Configuration change",
    "Connection collision resolution", "Out of resources", "Hard reset", "BFD session down",
}


# ---- FRR ----------------------------------------------------------------------------------------


def frr_route(text, prefix):
    route = Route()
    data = parse_json("frr", text)
    if not data or "paths" not in data:
        return route
    for p in data["paths"]:
        hops = [h.get("ip") for h in p.get("nexthops", []) if h.get("ip") and not h.get("scope") == "link-local"]
        route.paths.append({
            "nexthop": hops[0] if hops else None,
            "best": bool(p.get("bestpath", {}).get("overall")),
            "stale": bool(p.get("stale")),
            "communities": p.get("community", {}).get("string", "").split(),
            "large": p.get("largeCommunity", {}).get("string", "").split(),
        })
    return route


def frr_session(text, address):
    data = parse_json("frr", text)
    for key, value in data.items():
        if ipaddress.ip_address(key) == ipaddress.ip_address(address):
            state = value.get("bgpState", "")
            return state if state in STATES else "unknown"
    return "unknown"


def frr_session_end(text, address):
    data = parse_json("frr", text)
    for key, value in data.items():
        if ipaddress.ip_address(key) != ipaddress.ip_address(address):
            continue
        due_to = value.get("lastResetDueTo", "")
        reason = value.get("lastNotificationReason", "")
        if not due_to:
            return "none"
        if due_to == "BGP Notification received" and reason.startswith("Cease/"):
            return "cease-received"
        return "%s (%s)" % (due_to, reason) if reason else due_to
    return "none"


# ---- GoBGP --------------------------------------------------------------------------------------

GOBGP_STATES = {0: "unknown", 1: "Idle", 2: "Connect", 3: "Active", 4: "OpenSent", 5: "OpenConfirm", 6: "Established"}


def gobgp_route(text, prefix):
    route = Route()
    data = parse_json("gobgp", text)
    for key, paths in data.items():
        if ipaddress.ip_network(key) != ipaddress.ip_network(prefix):
            continue
        for p in paths:
            path = {"nexthop": None, "best": bool(p.get("best")), "stale": bool(p.get("stale")),
                    "communities": [], "large": []}
            for a in p.get("attrs", []):
                t = a.get("type")
                if t in (3, 14) and a.get("nexthop"):  # NEXT_HOP, MP_REACH_NLRI
                    path["nexthop"] = a["nexthop"]
                elif t == 8:  # COMMUNITIES: 32-bit values, AS in the high half
                    path["communities"] = ["%d:%d" % (c >> 16, c & 0xFFFF) for c in a.get("communities", [])]
                elif t == 32:  # LARGE_COMMUNITY
                    path["large"] = ["%d:%d:%d" % (v["ASN"], v["LocalData1"], v["LocalData2"]) for v in a.get("value", [])]
            route.paths.append(path)
    return route


def gobgp_session(text, address):
    data = parse_json("gobgp", text)
    if not data:
        return "unknown"
    state = data.get("state", {}).get("session_state", 0)
    if isinstance(state, str):  # some builds print the enum's name
        names = {s.lower(): s for s in STATES}
        return names.get(state.lower(), "unknown")
    return GOBGP_STATES.get(state, "unknown")


# ---- output -------------------------------------------------------------------------------------


def print_route(route):
    if not route.paths:
        print("absent")
        return
    print("present")
    for p in route.paths:
        if p["nexthop"]:
            print("nexthop %s" % p["nexthop"])
    best = next((p for p in route.paths if p["best"]), None)
    if best is not None:
        if best["nexthop"]:
            print("best %s" % best["nexthop"])
        for c in best["communities"]:
            print("community %s" % c)
        for c in best["large"]:
            print("large-community %s" % c)
    for p in route.paths:
        if p["stale"]:
            print("stale %s" % (p["nexthop"] or "?"))


def main(argv):
    if len(argv) != 4 or argv[1] not in ("route", "session", "session-end") or argv[2] not in ("bird", "frr", "gobgp"):
        raise SystemExit("usage: router_cli.py route|session|session-end bird|frr|gobgp PREFIX|ADDRESS < CLI output")
    what, kind, arg = argv[1], argv[2], argv[3]
    text = sys.stdin.read()
    if what == "route":
        parse = {"bird": bird_route, "frr": frr_route, "gobgp": gobgp_route}[kind]
        print_route(parse(text, arg))
    elif what == "session":
        parse = {"bird": bird_session, "frr": frr_session, "gobgp": gobgp_session}[kind]
        print(parse(text, arg))
    else:
        if kind == "gobgp":
            raise SystemExit("router_cli: session-end: not read from GoBGP")
        parse = {"bird": bird_session_end, "frr": frr_session_end}[kind]
        print(parse(text, arg))


if __name__ == "__main__":
    main(sys.argv)
