#!/usr/bin/env bash
# In-cluster BGP mode, configured only through the environment as a static pod would be
# (bgp_enable, bgp_as, bgp_peers "address:AS:password:multihop:port", bgp_routerid,
# bgp_hold_time, bgp_keepalive_interval; vip_arp=false): three `kube-vip manager` instances elect
# through a Lease on the test API server and peer with BIRD; the router learns VIP/32 only via the
# Lease holder, and when the holder is SIGKILLed the route moves to the next one (measured).
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/apiserver/incluster.sh"
source "$(dirname "$0")/lib/routers.sh"
source "$(dirname "$0")/lib/bgp_kubevip.sh"
lab_init "bgp incluster: BGP mode from the environment, Lease election, against BIRD"
lab_require bird birdc
lab_require_kubevip
lab_create 3
router_create r1
BGP_ROUTER=r1
BGP_PREFIX=$LAB_VIP4/32
router_start r1 bird --as "$BGP_ROUTER_AS" --hold 3 --keepalive 1 \
  --neighbor "$(lab_ip4 node1),$BGP_KV_AS" --neighbor "$(lab_ip4 node2),$BGP_KV_AS,password=secret" \
  --neighbor "$(lab_ip4 node3),$BGP_KV_AS"
# shellcheck disable=SC2119  # no extra arguments for the API server
kvk_start_apiserver

start_manager() {  # start_manager NODE: node2's peer entry carries the MD5 password
  local node=$1 password=""
  [ "$node" != node2 ] || password=secret
  kvk_start_manager "$node" token vip_arp=false bgp_enable=true bgp_as="$BGP_KV_AS" \
    bgp_routerid="$(lab_ip4 "$node")" bgp_hold_time=3 bgp_keepalive_interval=1 \
    bgp_peers="$(router_ip4 r1):$BGP_ROUTER_AS:$password:false:179"
}
for n in node1 node2 node3; do start_manager "$n"; done

wait_until 15 kvk_one_holder >/dev/null || fail "no single VIP holder after 15 s"
leader=$(kvk_one_holder)
wait_until 3 kvk_lease_holder_is "$leader" ||
  fail "the Lease names '$(kvk_lease_field holderIdentity)', the VIP is on $leader"
check "sessions with node1-3 Established within 15 s" wait_until 15 bgp_all_established r1 node1 node2 node3
check "BIRD learns $BGP_PREFIX only via the Lease holder $leader" wait_until 10 bgp_only_via "$(lab_ip4 "$leader")"
log "r1: $(router_route_summary)"

old=$leader
moved=""
bgp_t0
lab_kill "$old" KILL
wait_until 15 bgp_has_holder_other_than "$old" || fail "no other node took the VIP within 15 s of the SIGKILL"
new=$(bgp_holder_other_than "$old")
bgp_measure "incluster sigkill: next hop moved $old -> $new" moved 15 bgp_only_via "$(lab_ip4 "$new")"
# The Lease (5 s) must run out before another node takes it; then the route moves at once.
assert_le "$moved" 10 "next hop moved within leaseDuration + 5 s of the SIGKILL"
check "the Lease names $new" wait_until 3 kvk_lease_holder_is "$new"
router_stop r1
lab_pass "BGP from the environment follows the Lease holder"
