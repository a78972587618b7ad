#!/usr/bin/env bash
# Services of type LoadBalancer announced by BGP with one election per Service (svc_election=true,
# Lease default/kubevip-<name>): three `kube-vip manager` instances peer with BIRD, which learns
# the Service's /32 only via the Lease holder. SIGKILL of the holder: the path moves to the new
# holder once the Lease runs out (measured), and the restarted node does not announce it again;
# the holder frozen (SIGSTOP): its path goes after the hold time, the next holder's comes, and
# after SIGCONT the old holder announces nothing, not even for a moment. A Service with
# externalTrafficPolicy Local is announced only by its endpoint's node and follows the endpoint.
# SIGTERM of the holder: its path is withdrawn at once (measured) and the next holder's follows.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/apiserver/incluster.sh"
source "$(dirname "$0")/lib/routers.sh"
source "$(dirname "$0")/lib/bgp_kubevip.sh"
source "$(dirname "$0")/lib/bgp_services.sh"
lab_init "bgp services: per-Service Lease, the route follows the holder through SIGKILL, SIGSTOP and SIGTERM"
lab_require bird birdc kubectl
lab_require_kubevip
lab_create 3
router_create r1
neighbors=()
for n in node1 node2 node3; do neighbors+=(--neighbor "$(lab_ip4 "$n"),$BGP_KV_AS"); done
router_start r1 bird --as "$BGP_ROUTER_AS" --hold 3 --keepalive 1 --gr off "${neighbors[@]}"
session_peers="$(router_ip4 r1):$BGP_ROUTER_AS::false:179"
# shellcheck disable=SC2119  # no extra arguments for the API server
kvk_start_apiserver
for n in node1 node2 node3; do kvk_node "$n"; done
# shellcheck disable=SC2119  # the default Service network
kvk_addr_holders_start
start_manager() { bgp_svc_start_manager "$1" "$session_peers" svc_election=true; }
for n in node1 node2 node3; do start_manager "$n"; done
check "sessions with node1-3 Established within 15 s" wait_until 15 bgp_all_established r1 node1 node2 node3

addr=10.201.0.220
moved="" dropped="" withdrawn="" moved_local=""  # set by bgp_measure
lease=kubevip-web
BGP_ROUTER=r1
BGP_PREFIX=$addr/32
kvk_apply_lb_service web default address=$addr
wait_until 15 eval '[ -n "$(kvk_lease_holder_of default "$lease")" ]' ||
  fail "nobody took the Lease default/$lease within 15 s"
holder=$(kvk_lease_holder_of default "$lease")
log "Lease default/$lease held by $holder"
check "BIRD learns $BGP_PREFIX only via the Lease holder $holder" wait_until 10 bgp_only_via "$(lab_ip4 "$holder")"
check "only $holder holds $addr" wait_until 3 eval '[ "$(kvk_holders_of "$addr")" = "$holder" ]'
check "$addr is on $holder's lo" lab_exec "$holder" sh -c "ip -o addr show dev lo | grep -qF ' $addr/'"
if wait_until 3 eval '! bgp_only_via "$(lab_ip4 "$holder")"'; then
  fail "the path changed without any fault: $(router_route_summary)"
fi
LAB_CHECKS=$((LAB_CHECKS + 1))
log "r1: $(router_route_summary)"

# ---- SIGKILL of the holder ------------------------------------------------------------------------
old=$holder
bgp_t0
lab_kill "$old" KILL
lab_wait_exit "$old" 5 || fail "SIGKILLed kube-vip on $old did not exit"
wait_until 15 eval '[ -n "$(kvk_lease_holder_of default "$lease")" ] &&
  [ "$(kvk_lease_holder_of default "$lease")" != "$old" ]' ||
  fail "the Lease default/$lease still names '$(kvk_lease_holder_of default "$lease")' 15 s after the SIGKILL"
new=$(kvk_lease_holder_of default "$lease")
bgp_measure "bgp services sigkill: next hop moved $old -> $new" moved 15 bgp_only_via "$(lab_ip4 "$new")"
# The Lease (5 s) runs out on the other nodes' clocks, one retry period (1 s) later one takes it
# and announces at once.
assert_le "$moved" 8 "next hop moved within leaseDuration + retryPeriod + 2 s of the SIGKILL"
bgp_watch_start rejoin
start_manager "$old"
check "restarted $old peers again" router_wait_established r1 "$(lab_ip4 "$old")" 15
sleep 2
bgp_watch_stop rejoin
check "after $old rejoined, the route still goes only via $new" bgp_only_via "$(lab_ip4 "$new")"
check "the rejoining $old never announced $BGP_PREFIX" bgp_watch_never_via rejoin "$(lab_ip4 "$old")"
assert_eq "$new" "$(kvk_lease_holder_of default "$lease")" "the Lease still names $new"

# ---- the holder frozen (SIGSTOP) ----------------------------------------------------------------
old=$new
bgp_t0
lab_kill "$old" STOP
lab_mark_dead "$old"  # a frozen node keeps the address on lo but answers nothing
bgp_measure "bgp services freeze: $old's path dropped (hold time 3 s)" dropped 8 bgp_not_via "$(lab_ip4 "$old")"
assert_le "$dropped" 4 "the frozen holder's path dropped within hold time + 1 s"
wait_until 15 eval '[ -n "$(kvk_lease_holder_of default "$lease")" ] &&
  [ "$(kvk_lease_holder_of default "$lease")" != "$old" ]' ||
  fail "the Lease default/$lease still names '$(kvk_lease_holder_of default "$lease")' 15 s after the freeze"
new=$(kvk_lease_holder_of default "$lease")
bgp_measure "bgp services freeze: next hop moved $old -> $new" moved_freeze 15 bgp_only_via "$(lab_ip4 "$new")"
bgp_watch_start thaw
lab_kill "$old" CONT
lab_mark_alive "$old"
check "thawed $old peers again" router_wait_established r1 "$(lab_ip4 "$old")" 20
sleep 2
bgp_watch_stop thaw
check "thawed $old announces nothing: the route goes only via $new" bgp_only_via "$(lab_ip4 "$new")"
check "thawed $old never announced $BGP_PREFIX again, not even for a moment" bgp_watch_never_via thaw "$(lab_ip4 "$old")"
check "only $new holds $addr after the thaw" wait_until 3 eval '[ "$(kvk_holders_of "$addr")" = "$new" ]'

# ---- externalTrafficPolicy Local: announced only by the node of its endpoint ---------------------
local_addr=10.201.0.222
kvk_apply_lb_service local-web default address=$local_addr policy=Local
kvk_endpointslice local-web node3
BGP_PREFIX=$local_addr/32
check "BIRD learns $BGP_PREFIX only via node3, its endpoint's node" wait_until 15 bgp_only_via "$(lab_ip4 node3)"
bgp_t0
kvk_endpointslice local-web node1
bgp_measure "bgp services election local: next hop moved node3 -> node1 with the endpoint" moved_local 15 \
  bgp_only_via "$(lab_ip4 node1)"
check "only node1 holds $local_addr" wait_until 3 eval '[ "$(kvk_holders_of "$local_addr")" = node1 ]'
BGP_PREFIX=$addr/32

# ---- SIGTERM of the holder ------------------------------------------------------------------------
old=$new
bgp_t0
lab_kill "$old" TERM
bgp_measure "bgp services sigterm: path via $old withdrawn" withdrawn 5 bgp_not_via "$(lab_ip4 "$old")"
# A stopping holder withdraws before it exits (RFC 4271 UPDATE, or the session's NOTIFICATION);
# no hold time is waited for.
assert_le "$withdrawn" 2 "the path via the SIGTERMed holder is withdrawn within 2 s"
lab_wait_exit "$old" 10 || fail "SIGTERMed kube-vip on $old did not exit within 10 s"
wait_until 15 eval '[ -n "$(kvk_lease_holder_of default "$lease")" ] &&
  [ "$(kvk_lease_holder_of default "$lease")" != "$old" ]' ||
  fail "the Lease default/$lease still names '$(kvk_lease_holder_of default "$lease")' 15 s after the SIGTERM"
next=$(kvk_lease_holder_of default "$lease")
bgp_measure "bgp services sigterm: next hop moved $old -> $next" moved_term 15 bgp_only_via "$(lab_ip4 "$next")"
check "only $next holds $addr" wait_until 3 eval '[ "$(kvk_holders_of "$addr")" = "$next" ]'

report=$(kvk_addr_holders_check) || fail "two live nodes held $addr at once: $report"
log "address holder report: $report"
router_stop r1
lab_pass "the Service's route follows its Lease holder through SIGKILL, SIGSTOP and SIGTERM"
