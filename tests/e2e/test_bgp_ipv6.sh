#!/usr/bin/env bash
# An IPv6 VIP over IPv6 sessions (MP-BGP, RFC 4760): three kube-vip nodes (Raft) peer over IPv6
# with BIRD, FRR and GoBGP at once; each router must learn VIP/128 from the leader only, with the
# leader's IPv6 address as next hop and the communities, and follow the leader when it is
# SIGKILLed (the time from the kill to the move is printed per router).
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/lib/routers.sh"
source "$(dirname "$0")/lib/bgp_kubevip.sh"
lab_init "bgp: IPv6 VIP over IPv6 sessions with BIRD, FRR and GoBGP"
lab_require bird birdc vtysh gobgpd gobgp /usr/lib/frr/zebra /usr/lib/frr/bgpd
lab_require_kubevip
lab_create 3

declare -A kind=([r1]=bird [r2]=frr [r3]=gobgp)
routers=(r1 r2 r3)
BGP_PREFIX=$LAB_VIP6/128
for r in "${routers[@]}"; do
  router_create "$r"
  router_start "$r" "${kind[$r]}" --as "$BGP_ROUTER_AS" --hold 3 --keepalive 1 \
    --neighbor "$(lab_ip6 node1),$BGP_KV_AS" --neighbor "$(lab_ip6 node2),$BGP_KV_AS" \
    --neighbor "$(lab_ip6 node3),$BGP_KV_AS"
done
peers=()
for r in "${routers[@]}"; do peers+=(--peer "$(router_ip6 "$r"),$BGP_ROUTER_AS"); done
for k in 1 2 3; do
  leader_opt=()
  [ "$k" != 1 ] || leader_opt=(--start-as-leader)
  bgp_write_node_config "$k" "${peers[@]}" -- --vip "$LAB_VIP6" "${leader_opt[@]}"
  bgp_start_node "$k"
done
lab_wait_leader "$LAB_VIP6"
leader=$LAB_LEADER

all_established_v6() {
  local r=$1 k
  for k in 1 2 3; do router_established "$r" "$(lab_ip6 "node$k")" || return 1; done
}
for r in "${routers[@]}"; do
  BGP_ROUTER=$r
  check "${kind[$r]}: IPv6 sessions with node1-3 Established within 15 s" wait_until 15 all_established_v6 "$r"
  check "${kind[$r]}: learns $BGP_PREFIX only via $leader ($(lab_ip6 "$leader"))" \
    wait_until 10 bgp_only_via "$(lab_ip6 "$leader")"
  log "$r: $(router_route_summary)"
  assert_eq "$BGP_COMMUNITY" "$(router_route_communities "$r" "$BGP_PREFIX")" "${kind[$r]}: communities"
  assert_eq "$BGP_LARGE_COMMUNITY" "$(router_route_large_communities "$r" "$BGP_PREFIX")" \
    "${kind[$r]}: large communities"
  check "${kind[$r]}: no IPv4 route for the IPv4 address of the lab's VIP" router_route_absent "$r" "$LAB_VIP4/32"
done

old=$leader
moved=""
bgp_t0
lab_kill "$old" KILL
wait_until 10 bgp_has_holder_other_than "$old" "$LAB_VIP6" || fail "no other node took $LAB_VIP6 within 10 s"
new=$(bgp_holder_other_than "$old" "$LAB_VIP6")
for r in "${routers[@]}"; do
  BGP_ROUTER=$r
  bgp_measure "${kind[$r]} IPv6 sigkill: next hop moved $old -> $new" moved 10 bgp_only_via "$(lab_ip6 "$new")"
  assert_le "$moved" 5 "${kind[$r]}: next hop moved within 5 s of the SIGKILL"
done
for r in "${routers[@]}"; do router_stop "$r"; done
lab_pass "IPv6 VIP announced over IPv6 sessions to BIRD, FRR and GoBGP"
