#!/usr/bin/env bash
# Captures the messages a real FRR bgpd sends, as hex text, into tests/bgp/golden/ (or $1). Like
# capture_bird.sh: by hand, as root, with the Debian package frr installed; bgpd runs alone
# (no zebra, no kernel routes), two namespaces joined by a veth pair, nothing leaves them.
#   router ns: bgpd, AS 65001, 10.99.0.1, routes 192.0.2.10/32 and 2001:db8::10/128
#   peer ns:   passive_peer.py, AS 65002, 10.99.0.2
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../golden}
tag=bgpcap$$
work=$(mktemp -d)
chmod 755 "$work"
chown frr:frr "$work"  # bgpd drops to the frr user
bgpd_pid=
cleanup() {
  [ -n "$bgpd_pid" ] && kill "$bgpd_pid" 2>/dev/null || true
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

cat >"$work/bgpd.conf" <<CONF
frr defaults traditional
route-map tag permit 10
 set metric 50
 set community 65001:100 65001:200
 set large-community 65001:1:2
exit
route-map v6out permit 10
 set ipv6 next-hop global 2001:db8:99::1
exit
router bgp 65001
 bgp router-id 10.99.0.1
 no bgp ebgp-requires-policy
 no bgp network import-check
 timers bgp 30 90
 neighbor 10.99.0.2 remote-as 65002
 neighbor 10.99.0.2 timers connect 1
 address-family ipv4 unicast
  network 192.0.2.10/32 route-map tag
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8::10/128 route-map tag
  neighbor 10.99.0.2 activate
  neighbor 10.99.0.2 route-map v6out out
 exit-address-family
exit
CONF
ip netns exec "$tag-p" python3 "$here/passive_peer.py" 10.99.0.2 65002 10.99.0.2 "$work" frr &
peer=$!
sleep 0.5
ip netns exec "$tag-r" /usr/lib/frr/bgpd -Z -n -p 0 -P 0 -f "$work/bgpd.conf" \
  -i "$work/bgpd.pid" --vty_socket "$work" >"$work/bgpd.log" 2>&1 &
bgpd_pid=$!
for _ in $(seq 150); do [ -f "$work/frr.eor" ] && break; sleep 0.2; done
[ -f "$work/frr.eor" ] || { echo "no End-of-RIB from FRR" >&2; cat "$work/bgpd.log" >&2; exit 1; }
# An administrative shutdown of the neighbor sends Cease/Administrative Shutdown (RFC 4486).
ip netns exec "$tag-r" vtysh --vty_socket "$work" -d bgpd -c "configure terminal" \
  -c "router bgp 65001" -c "neighbor 10.99.0.2 shutdown" >/dev/null
wait "$peer"
version=$(/usr/lib/frr/bgpd --version 2>&1 | head -1)
mkdir -p "$out"
for f in "$work"/*.hex; do
  { echo "# $(basename "$f" .hex): captured from $version by tests/bgp/capture/capture_frr.sh"
    cat "$f"; } >"$out/$(basename "$f")"
done
ls "$out"
