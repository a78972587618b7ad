#!/usr/bin/env bash
# An IPv4 VIP over IPv6 sessions (RFC 8950): BIRD and FRR, told to accept IPv4 routes with IPv6
# next hops from kube-vip, learn VIP/32 with the node's IPv6 address as next hop; with no IPv4
# next hop configured (mpbgp) and the capability negotiated, that is what kube-vip sends.
# timeout: 60
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/lib/routers.sh"
source "$(dirname "$0")/lib/bgp_kubevip.sh"
lab_init "bgp: an IPv4 VIP over IPv6 sessions (extended next hop) with BIRD and FRR"
lab_require bird birdc vtysh /usr/lib/frr/zebra /usr/lib/frr/bgpd
lab_require_kubevip
lab_create 1

declare -A kind=([r1]=bird [r2]=frr)
routers=(r1 r2)
BGP_PREFIX=$LAB_VIP4/32
node_ip6=$(lab_ip6 node1)
peers=()
for r in "${routers[@]}"; do
  router_create "$r"
  router_start "$r" "${kind[$r]}" --as "$BGP_ROUTER_AS" --hold 3 --keepalive 1 \
    --neighbor "$node_ip6,$BGP_KV_AS,extended-nexthop"
  peers+=(--peer "$(router_ip6 "$r"),$BGP_ROUTER_AS")
done
# FRR sends router advertisements to neighbours with the extended next hop capability, so the
# node gains a SLAAC address the kernel would pick as the session's source: the routers know the
# node by its configured address, given as the sessions' source.
bgp_write_node_config 1 "${peers[@]}" --source-ip "$node_ip6" -- --single
lab_start_kubevip node1 "$LAB_DIR/node1.yaml"
check "node1 holds the VIP" wait_until 5 lab_has_vip node1

for r in "${routers[@]}"; do
  check "${kind[$r]}: IPv6 session Established" router_wait_established "$r" "$node_ip6" 15
  check "${kind[$r]}: learns $BGP_PREFIX via $node_ip6" \
    wait_until 10 router_has_route "$r" "$BGP_PREFIX" "$node_ip6"
  log "$r: $(router_route "$r" "$BGP_PREFIX" | xargs)"
done
for r in "${routers[@]}"; do router_stop "$r"; done
lab_pass "the IPv4 VIP went over IPv6 sessions with the node's IPv6 address as next hop"
