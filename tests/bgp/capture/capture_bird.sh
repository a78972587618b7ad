#!/usr/bin/env bash
# Captures the messages a real BIRD 2 sends, as hex text, into tests/bgp/golden/ (or $1).
# Not part of the test suite: run it by hand, as root, with bird2 installed, when the golden
# files are to be renewed. Two network namespaces joined by a veth pair; nothing leaves them.
#   router ns: BIRD, AS 65001 (or 4200000001), 10.99.0.1, routes 192.0.2.10/32 and 2001:db8::10/128
#   peer ns:   passive_peer.py, AS 65002, 10.99.0.2
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../golden}
tag=bgpcap$$
work=$(mktemp -d)
cleanup() {
  [ -f "$work/bird.pid" ] && kill "$(cat "$work/bird.pid")" 2>/dev/null || true
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
ip -n "$tag-r" link set r0 up
ip -n "$tag-p" link set p0 up
ip -n "$tag-r" link set lo up
ip -n "$tag-p" link set lo up

# One run per local AS: two octets, then four (BIRD sends AS_TRANS and AS4_PATH to a peer
# without the four-octet AS capability, RFC 6793 §4.2.2).
run() {  # run NAME LOCAL_AS PEER_FLAGS
  local name=$1 local_as=$2 peer_flags=$3
  rm -f "$work/bird.pid"
  cat >"$work/bird.conf" <<CONF
router id 10.99.0.1;
protocol device {}
protocol static s4 { ipv4; route 192.0.2.10/32 blackhole; }
protocol static s6 { ipv6; route 2001:db8::10/128 blackhole; }
filter tag_routes {
  bgp_med = 50;
  bgp_community.add((65001, 100));
  bgp_community.add((65001, 200));
  bgp_large_community.add((65001, 1, 2));
  accept;
}
protocol bgp peer {
  local 10.99.0.1 as $local_as;
  neighbor 10.99.0.2 as 65002;
  hold time 90;
  graceful restart on;
  ipv4 { import none; export filter tag_routes; };
  ipv6 { import none; export filter tag_routes; next hop address 2001:db8:99::1; };
}
CONF
  ip netns exec "$tag-p" python3 "$here/passive_peer.py" 10.99.0.2 65002 10.99.0.2 "$work" "$name" \
    $peer_flags &
  local peer=$!
  sleep 0.5
  ip netns exec "$tag-r" bird -f -c "$work/bird.conf" -s "$work/bird.ctl" -P "$work/bird.pid" &
  for _ in $(seq 100); do [ -f "$work/$name.eor" ] && break; sleep 0.2; done
  [ -f "$work/$name.eor" ] || { echo "no End-of-RIB from BIRD ($name)" >&2; exit 1; }
  ip netns exec "$tag-r" birdc -s "$work/bird.ctl" disable peer >/dev/null
  wait "$peer"
  kill "$(cat "$work/bird.pid")"
  wait || true
}
run bird2 65001 ""
run bird2-as4 4200000001 --no-as4
mkdir -p "$out"
for f in "$work"/*.hex; do
  { echo "# $(basename "$f" .hex): captured from $(bird --version 2>&1) by tests/bgp/capture/capture_bird.sh"
    cat "$f"; } >"$out/$(basename "$f")"
done
ls "$out"
