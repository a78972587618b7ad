#!/usr/bin/env bash
# Captures the messages a real GoBGP (gobgpd, the BGP speaker the Go kube-vip embeds) sends, as
# hex text, into tests/bgp/golden/ (or $1). Like capture_bird.sh: by hand, as root, with the
# Debian package gobgpd installed; two namespaces joined by a veth pair, nothing leaves them.
#   router ns: gobgpd, AS 65001, 10.99.0.1, routes 192.0.2.10/32 and 2001:db8::10/128
#   peer ns:   passive_peer.py, AS 65002, 10.99.0.2
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../golden}
tag=bgpcap$$
work=$(mktemp -d)
gobgpd_pid=
cleanup() {
  [ -n "$gobgpd_pid" ] && kill "$gobgpd_pid" 2>/dev/null || true
  ip netns del "$tag-r" 2>/dev/null || true
  ip netns del "$tag-p" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$tag-r"
ip netns add "$tag-p"
ip link add r0 netns "$tag-r" type veth peer name p0 netns "$tag-p"
ip -n "$tag-r" addr add 10.99.0.1/24 dev r0
ip -n "$tag-p" addr add 10.99.0.2/24 dev p0
for ns in "$tag-r" "$tag-p"; do ip -n "$ns" link set lo up; done
ip -n "$tag-r" link set r0 up
ip -n "$tag-p" link set p0 up

cat >"$work/gobgpd.toml" <<CONF
[global.config]
  as = 65001
  router-id = "10.99.0.1"
  port = -1
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.99.0.2"
    peer-as = 65002
  [neighbors.timers.config]
    hold-time = 90
    connect-retry = 1
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 120
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
CONF
gobgp() { ip netns exec "$tag-r" gobgp "$@"; }
ip netns exec "$tag-r" gobgpd -f "$work/gobgpd.toml" -p >"$work/gobgpd.log" 2>&1 &
gobgpd_pid=$!
for _ in $(seq 50); do gobgp global >/dev/null 2>&1 && break; sleep 0.2; done
# The routes go in before the peer listens, so that the first UPDATEs carry them.
gobgp global rib -a ipv4 add 192.0.2.10/32 nexthop 10.99.0.1 med 50 \
  community 65001:100,65001:200 large-community 65001:1:2
gobgp global rib -a ipv6 add 2001:db8::10/128 nexthop 2001:db8:99::1 med 50 \
  community 65001:100,65001:200 large-community 65001:1:2
ip netns exec "$tag-p" python3 "$here/passive_peer.py" 10.99.0.2 65002 10.99.0.2 "$work" gobgp &
peer=$!
for _ in $(seq 150); do [ -f "$work/gobgp.eor" ] && break; sleep 0.2; done
[ -f "$work/gobgp.eor" ] || { echo "no End-of-RIB from GoBGP" >&2; cat "$work/gobgpd.log" >&2; exit 1; }
gobgp neighbor 10.99.0.2 disable
wait "$peer"
mkdir -p "$out"
for f in "$work"/*.hex; do
  { echo "# $(basename "$f" .hex): captured from gobgpd $(ip netns exec "$tag-r" gobgpd --version | awk '{print $3}') by tests/bgp/capture/capture_gobgp.sh"
    cat "$f"; } >"$out/$(basename "$f")"
done
ls "$out"
