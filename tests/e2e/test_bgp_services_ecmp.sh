#!/usr/bin/env bash
# Services of type LoadBalancer announced by BGP without any election (vip_leaderelection=false,
# svc_election=false, allowed only with BGP): three `kube-vip manager` instances peer with BIRD (r1)
# and FRR (r2), both of which keep every path (ECMP):
#  - a Service with externalTrafficPolicy Cluster: both routers learn its /32 from all three nodes;
#  - a dual-stack Service: its /32 and /128 (over the IPv4 sessions, RFC 4760) from all three;
#  - a Service with externalTrafficPolicy Local: only via the node of its one ready endpoint, and
#    the path follows the endpoint to another node;
#  - the annotations kube-vip.io/bgp-communities, kube-vip.io/bgp-large-communities and
#    kube-vip.io/bgp-med replace the configured attributes on that Service's route only, and a
#    changed annotation is announced again;
#  - a Local endpoint that is no longer ready, or a changed address, withdraws the old route;
#  - a SIGTERMed node withdraws its paths at once (its sessions end by its Cease, not by the
#    routers' hold timer), the other nodes' stay; restarted, it announces them again; ready
#    endpoints on two nodes give a Local Service two paths;
#  - deleting a Service withdraws its route from every router.
# Measured: announcement after create, move of the Local path, SIGTERM, withdrawal after delete.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/apiserver/incluster.sh"
source "$(dirname "$0")/lib/routers.sh"
source "$(dirname "$0")/lib/bgp_kubevip.sh"
source "$(dirname "$0")/lib/bgp_services.sh"
lab_init "bgp services: every node announces (ECMP), Local follows the endpoint, per-Service communities"
lab_require bird birdc vtysh kubectl
lab_require_kubevip
lab_create 3
routers=(r1 r2)
router_create r1
router_create r2
neighbors=()
for n in node1 node2 node3; do neighbors+=(--neighbor "$(lab_ip4 "$n"),$BGP_KV_AS"); done
router_start r1 bird --as "$BGP_ROUTER_AS" --hold 3 --keepalive 1 --gr off "${neighbors[@]}"
router_start r2 frr --as "$BGP_ROUTER_AS" --hold 3 --keepalive 1 --gr off "${neighbors[@]}"
session_peers="$(router_ip4 r1):$BGP_ROUTER_AS::false:179,$(router_ip4 r2):$BGP_ROUTER_AS::false:179"

# shellcheck disable=SC2119  # no extra arguments for the API server
kvk_start_apiserver
for n in node1 node2 node3; do kvk_node "$n"; done
# The configured communities (bgp.communities / bgp.largeCommunities) come from a file under the
# environment, as a ConfigMap-mounted file would.
printf '%s\n' "bgp:" "  communities: [\"$BGP_COMMUNITY\"]" "  largeCommunities: [\"$BGP_LARGE_COMMUNITY\"]" \
  >"$LAB_DIR/bgp-communities.yaml"
BGP_SVC_CONFIG=$LAB_DIR/bgp-communities.yaml
# IPv6 routes go over the IPv4 sessions (RFC 4760) with the node's own IPv6 address as next hop.
start_manager() {
  bgp_svc_start_manager "$1" "$session_peers" vip_leaderelection=false svc_election=false \
    mpbgp_nexthop=fixed mpbgp_ipv6="$(lab_ip6 "$1")"
}
for n in node1 node2 node3; do start_manager "$n"; done
for r in "${routers[@]}"; do
  check "$r: sessions with node1-3 Established within 15 s" wait_until 15 bgp_all_established "$r" node1 node2 node3
done

# ---- Cluster policy: every node announces the address ------------------------------------------
cluster_addr=10.201.0.220
cluster_prefix=$cluster_addr/32
t0=$(_lab_us)
kvk_apply_lb_service web default address=$cluster_addr
for r in "${routers[@]}"; do
  wait_until 15 bgp_svc_via_nodes "$r" "$cluster_prefix" node1 node2 node3 ||
    fail "$r: $cluster_prefix via [$(bgp_svc_nexthops "$r" "$cluster_prefix")], not via node1-3"
  LAB_CHECKS=$((LAB_CHECKS + 1))
  log "ok: $r learns $cluster_prefix via all three nodes: $(bgp_svc_nexthops "$r" "$cluster_prefix")"
done
announced_s=$(kvk_elapsed "$t0")
echo "MEASURE bgp services ecmp: $cluster_prefix via three next hops at both routers after apply = $announced_s s" >&2
for n in node1 node2 node3; do
  check "$n has $cluster_addr on lo" lab_exec "$n" sh -c "ip -o addr show dev lo | grep -qF ' $cluster_addr/'"
done
for r in "${routers[@]}"; do
  assert_eq "$BGP_COMMUNITY" "$(router_route_communities "$r" "$cluster_prefix")" "$r: $cluster_prefix carries the configured communities"
  assert_eq "$BGP_LARGE_COMMUNITY" "$(router_route_large_communities "$r" "$cluster_prefix")" "$r: $cluster_prefix carries the configured large communities"
done

# ---- a dual-stack Service: /32 and /128 from every node ---------------------------------------
dual_v4=10.201.0.216/32
dual_v6=fd00:201::216/128
kvk_apply_lb_service dual default "address=${dual_v4%/*},${dual_v6%/*}"
for r in "${routers[@]}"; do
  for p in "$dual_v4" "$dual_v6"; do
    wait_until 15 bgp_svc_via_nodes "$r" "$p" node1 node2 node3 ||
      fail "$r: $p via [$(bgp_svc_nexthops "$r" "$p")], not via node1-3"
    LAB_CHECKS=$((LAB_CHECKS + 1))
    log "ok: $r learns $p via all three nodes: $(bgp_svc_nexthops "$r" "$p")"
  done
done

# ---- per-Service communities ---------------------------------------------------------------------
tagged_addr=10.201.0.221
tagged_prefix=$tagged_addr/32
kvk_apply_lb_service tagged default address=$tagged_addr \
  'annotations=kube-vip.io/bgp-communities: "65010:1,65010:2";kube-vip.io/bgp-large-communities: "65010:7:8";kube-vip.io/bgp-med: "123"'
for r in "${routers[@]}"; do
  wait_until 15 bgp_svc_via_nodes "$r" "$tagged_prefix" node1 node2 node3 ||
    fail "$r: $tagged_prefix via [$(bgp_svc_nexthops "$r" "$tagged_prefix")], not via node1-3"
  assert_eq "65010:1 65010:2" "$(router_route_communities "$r" "$tagged_prefix")" "$r: $tagged_prefix carries its Service's communities"
  assert_eq "65010:7:8" "$(router_route_large_communities "$r" "$tagged_prefix")" "$r: $tagged_prefix carries its Service's large communities"
  assert_eq "$BGP_COMMUNITY" "$(router_route_communities "$r" "$cluster_prefix")" "$r: $cluster_prefix keeps the configured communities"
done
assert_eq "123 123 123" "$(bgp_svc_bird_meds r1 "$tagged_prefix")" "r1: MED of the three paths of $tagged_prefix (annotation)"
assert_eq "- - -" "$(bgp_svc_bird_meds r1 "$cluster_prefix")" "r1: MED of the three paths of $cluster_prefix (none configured)"
# A changed annotation is announced again with the new attributes.
kvk_kubectl -n default annotate --overwrite svc tagged kube-vip.io/bgp-communities=65010:3 >/dev/null
for r in "${routers[@]}"; do
  check "$r: $tagged_prefix carries the changed communities" \
    wait_until 10 eval '[ "$(router_route_communities "$r" "$tagged_prefix")" = 65010:3 ]'
done

# ---- Local policy: only the node with a ready endpoint -------------------------------------------
local_addr=10.201.0.222
local_prefix=$local_addr/32
kvk_apply_lb_service local-web default address=$local_addr policy=Local
kvk_endpointslice local-web node2
for r in "${routers[@]}"; do
  wait_until 15 bgp_svc_via_nodes "$r" "$local_prefix" node2 ||
    fail "$r: $local_prefix via [$(bgp_svc_nexthops "$r" "$local_prefix")], not only via node2 (its endpoint's node)"
  LAB_CHECKS=$((LAB_CHECKS + 1))
  log "ok: $r learns $local_prefix only via node2"
done
assert_eq node2 "$(kvk_holders_of "$local_addr")" "only node2 holds $local_addr"
t0=$(_lab_us)
kvk_endpointslice local-web node3
for r in "${routers[@]}"; do
  wait_until 15 bgp_svc_via_nodes "$r" "$local_prefix" node3 ||
    fail "$r: $local_prefix via [$(bgp_svc_nexthops "$r" "$local_prefix")] 15 s after its endpoint moved to node3"
  LAB_CHECKS=$((LAB_CHECKS + 1))
  log "ok: $r learns $local_prefix only via node3"
done
moved_s=$(kvk_elapsed "$t0")
echo "MEASURE bgp services local: $local_prefix next hop moved node2 -> node3 at both routers = $moved_s s" >&2
check "only node3 holds $local_addr" wait_until 3 eval '[ "$(kvk_holders_of "$local_addr")" = node3 ]'
assert_eq "$(bgp_svc_via_nodes r1 "$cluster_prefix" node1 node2 node3 && echo yes)" yes \
  "r1: $cluster_prefix still via all three nodes"

# An endpoint that is no longer ready takes the path with it.
bgp_svc_endpointslice local-web node3:not-ready
for r in "${routers[@]}"; do
  check "$r: $local_prefix withdrawn once its only endpoint is not ready" wait_until 10 router_route_absent "$r" "$local_prefix"
done
check "nobody holds $local_addr" wait_until 3 kvk_nobody_holds "$local_addr"
kvk_endpointslice local-web node1
for r in "${routers[@]}"; do
  check "$r: $local_prefix only via node1 with a ready endpoint there" wait_until 10 bgp_svc_via_nodes "$r" "$local_prefix" node1
done

# ---- a new address: the old route goes, the new one comes from every node ----------------------
old_prefix=$cluster_prefix
cluster_addr=10.201.0.223
cluster_prefix=$cluster_addr/32
kvk_kubectl -n default annotate --overwrite svc web "kube-vip.io/loadbalancerIPs=$cluster_addr" >/dev/null
for r in "${routers[@]}"; do
  check "$r: $cluster_prefix via node1-3 after the address change" \
    wait_until 10 bgp_svc_via_nodes "$r" "$cluster_prefix" node1 node2 node3
  check "$r: the old $old_prefix is withdrawn" wait_until 10 router_route_absent "$r" "$old_prefix"
done
check "nobody holds the old address ${old_prefix%/*}" wait_until 3 kvk_nobody_holds "${old_prefix%/*}"

# ---- SIGTERM of one node: its paths go at once, the others stay ---------------------------------
t0=$(_lab_us)
lab_kill node1 TERM
for r in "${routers[@]}"; do
  for p in "$cluster_prefix" "$tagged_prefix" "$dual_v6"; do
    wait_until 5 bgp_svc_via_nodes "$r" "$p" node2 node3 ||
      fail "$r: $p via [$(bgp_svc_nexthops "$r" "$p")] 5 s after node1's SIGTERM, not via node2 node3"
    LAB_CHECKS=$((LAB_CHECKS + 1))
  done
  wait_until 5 router_route_absent "$r" "$local_prefix" ||
    fail "$r: $local_prefix (endpoint on node1 only) via [$(bgp_svc_nexthops "$r" "$local_prefix")] 5 s after node1's SIGTERM"
  LAB_CHECKS=$((LAB_CHECKS + 1))
done
sigterm_s=$(kvk_elapsed "$t0")
echo "MEASURE bgp services sigterm: node1's paths withdrawn at both routers = $sigterm_s s" >&2
# At once: by node1's clean stop (its withdrawals, then a Cease), not by the routers' hold timer
# (3 s), which is what a node that dies without a word leaves them to.
for r in "${routers[@]}"; do
  ended=$(router_session_end "$r" "$(lab_ip4 node1)")
  [ "$ended" = cease-received ] ||
    fail "$r: node1's session ended by \"$ended\", not by node1's Cease (RFC 4486)"
  LAB_CHECKS=$((LAB_CHECKS + 1))
done
lab_wait_exit node1 10 || fail "SIGTERMed kube-vip on node1 did not exit within 10 s"
# Restarted, node1 announces again every Service it serves: the Cluster ones, and the Local one
# whose only endpoint is on node1.
start_manager node1
for r in "${routers[@]}"; do
  for p in "$cluster_prefix" "$tagged_prefix" "$dual_v6"; do
    check "$r: restarted node1 announces $p again" wait_until 15 bgp_svc_via_nodes "$r" "$p" node1 node2 node3
  done
  check "$r: restarted node1 announces $local_prefix again (its endpoint's node)" \
    wait_until 15 bgp_svc_via_nodes "$r" "$local_prefix" node1
done
# Ready endpoints on two nodes: two paths.
bgp_svc_endpointslice local-web node2 node3
for r in "${routers[@]}"; do
  check "$r: $local_prefix via node2 and node3, the nodes of its two ready endpoints" \
    wait_until 10 bgp_svc_via_nodes "$r" "$local_prefix" node2 node3
done

# ---- delete: withdrawn everywhere ----------------------------------------------------------------
t0=$(_lab_us)
kvk_kubectl -n default delete svc web local-web dual >/dev/null
for r in "${routers[@]}"; do
  for p in "$cluster_prefix" "$local_prefix" "$dual_v4" "$dual_v6"; do
    wait_until 10 router_route_absent "$r" "$p" ||
      fail "$r: $p still via [$(bgp_svc_nexthops "$r" "$p")] 10 s after the Service was deleted"
    LAB_CHECKS=$((LAB_CHECKS + 1))
  done
done
withdrawn_s=$(kvk_elapsed "$t0")
echo "MEASURE bgp services delete: routes withdrawn at both routers after kubectl delete = $withdrawn_s s" >&2
for a in "$cluster_addr" "$local_addr"; do
  check "nobody holds $a" wait_until 3 kvk_nobody_holds "$a"
done
for r in "${routers[@]}"; do
  check "$r: the tagged Service's route stays" bgp_svc_via_nodes "$r" "$tagged_prefix" node1 node2 node3
done
for r in "${routers[@]}"; do router_stop "$r"; done
lab_pass "every node announces a Cluster Service, Local follows its endpoint, deletion withdraws"
