#!/usr/bin/env bash
# Services mode with one election per address (svc_election=true), three managers:
#  - a node labelled node.kubernetes.io/exclude-from-external-load-balancers never holds a Service
#    address: while it is the only manager running, its Services stay unannounced; once the other
#    managers start, they take them;
#  - two Services with the same address (annotation kube-vip.io/loadbalancerIPs, different ports)
#    are one address group: one Lease kube-system/kubevip-shared-<address with '-' for '.'>
#    (src/services/address_groups.h), one holder, and both
#    Services name it in kube-vip.io/vipHost and carry the address in their status;
#  - a Service with externalTrafficPolicy Local is held by the node of its ready endpoint
#    (EndpointSlice nodeName) and follows the endpoint to another node; with its only endpoint on
#    the excluded node, nobody holds it.
# The many-address holder checker runs throughout, and node1's watcher must never see an address.
# timeout: 240
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/apiserver/incluster.sh"

lab_init "services: per-Service election, shared address, externalTrafficPolicy Local, excluded node"
lab_require kubectl curl arping
lab_require_kubevip
lab_create 3
kvk_start_apiserver
kvk_ipam_configmap range-global="$KVK_SVC_RANGE"
kvk_node node1 node.kubernetes.io/exclude-from-external-load-balancers=true
kvk_node node2
kvk_node node3
kvk_addr_holders_start

# ---- the excluded node alone: it may manage addresses, but never announce -----------------------
kvk_start_svc_manager node1 svc_election=true
kvk_create_lb_service excluded-a
kvk_create_lb_service excluded-b
wait_until 15 eval 'kvk_svc_has_address excluded-a >/dev/null && kvk_svc_has_address excluded-b >/dev/null' ||
  fail "the Services got no addresses within 15 s (node1 holds the Services Lease and runs the address pool)"
addr_a=$(kvk_svc_address excluded-a)
addr_b=$(kvk_svc_address excluded-b)
assert_ne "$addr_a" "$addr_b" "two Services without sharing get two addresses"
log "excluded-a: $addr_a, excluded-b: $addr_b"
if wait_until 4 eval '[ -n "$(kvk_holders_of "$addr_a")$(kvk_holders_of "$addr_b")" ]'; then
  fail "the excluded node1 took a Service address: $addr_a on [$(kvk_holders_of "$addr_a")], $addr_b on [$(kvk_holders_of "$addr_b")]"
fi
LAB_CHECKS=$((LAB_CHECKS + 1))
log "ok: nobody holds $addr_a or $addr_b for 4 s while only the excluded node1 runs"
kvk_start_svc_manager node2 svc_election=true
kvk_start_svc_manager node3 svc_election=true
for a in "$addr_a" "$addr_b"; do
  wait_until 12 kvk_one_holder "$a" >/dev/null || fail "no single holder of $a within 12 s of node2 and node3 starting"
  h=$(kvk_one_holder "$a")
  assert_ne node1 "$h" "$a is held by a node that is not excluded"
done
h=$(kvk_one_holder "$addr_a")
assert_eq "$h" "$(kvk_lease_holder_of default kubevip-excluded-a)" "Lease default/kubevip-excluded-a names the holder of $addr_a"
wait_until 5 eval '[ "$(kvk_svc_annotation excluded-a kube-vip.io/vipHost)" = "$h" ]' ||
  fail "excluded-a's vipHost is '$(kvk_svc_annotation excluded-a kube-vip.io/vipHost)', not $h"

# ---- two Services, one address: one address group, one holder ------------------------------------
shared=10.201.0.205
shared_lease=kubevip-shared-${shared//./-}
kvk_apply_lb_service shared-http default port=80 address=$shared
kvk_apply_lb_service shared-https default port=443 targetPort=8443 address=$shared
# The first Service alone is a group of one (Lease default/kubevip-shared-http) until the second
# joins it: wait for the group's own Lease.
wait_until 12 eval '[ -n "$(kvk_lease_holder_of kube-system "$shared_lease")" ] &&
  [ "$(kvk_one_holder "$shared")" = "$(kvk_lease_holder_of kube-system "$shared_lease")" ]' ||
  fail "Lease kube-system/$shared_lease names '$(kvk_lease_holder_of kube-system "$shared_lease")', $shared is on [$(kvk_holders_of "$shared")] after 12 s"
shared_holder=$(kvk_one_holder "$shared")
LAB_CHECKS=$((LAB_CHECKS + 1))
log "ok: Lease kube-system/$shared_lease names $shared_holder, the only holder of $shared"
assert_ne node1 "$shared_holder" "the shared address is not on the excluded node"
for svc in shared-http shared-https; do
  wait_until 5 eval '[ "$(kvk_svc_annotation "$svc" kube-vip.io/vipHost)" = "$shared_holder" ]' ||
    fail "$svc's vipHost is '$(kvk_svc_annotation "$svc" kube-vip.io/vipHost)', not $shared_holder"
done
wait_until 5 eval '[ -n "$(kvk_svc_ingress shared-https)" ]' || fail "shared-https's status stays empty"
assert_eq "$shared VIP 80/TCP;" "$(kvk_svc_ingress shared-http)" "shared-http's status"
assert_eq "$shared VIP 443/TCP;" "$(kvk_svc_ingress shared-https)" "shared-https's status"
check "the client's ARP request for $shared is answered by $shared_holder" kvk_announced_by "$shared" "$shared_holder"

# ---- externalTrafficPolicy Local follows the endpoint's node -------------------------------------
local_addr=10.201.0.207
kvk_apply_lb_service local-web default address=$local_addr policy=Local
kvk_endpointslice local-web node2
wait_until 12 eval '[ "$(kvk_holders_of "$local_addr")" = node2 ]' ||
  fail "$local_addr is on [$(kvk_holders_of "$local_addr")], not on node2 where its only endpoint is"
LAB_CHECKS=$((LAB_CHECKS + 1))
log "ok: $local_addr (externalTrafficPolicy Local) is on node2, the endpoint's node"
t0=$(_lab_us)
kvk_endpointslice local-web node3
wait_until 12 eval '[ "$(kvk_holders_of "$local_addr")" = node3 ]' ||
  fail "$local_addr is on [$(kvk_holders_of "$local_addr")] 12 s after its endpoint moved to node3"
moved_s=$(kvk_elapsed "$t0")
LAB_CHECKS=$((LAB_CHECKS + 1))
log "ok: $local_addr followed its endpoint to node3 in ${moved_s}s"
wait_until 5 eval '[ "$(kvk_svc_annotation local-web kube-vip.io/vipHost)" = node3 ]' ||
  fail "local-web's vipHost is '$(kvk_svc_annotation local-web kube-vip.io/vipHost)', not node3"
check "the client's ARP request for $local_addr is answered by node3" \
  wait_until 3 kvk_announced_by "$local_addr" node3
kvk_endpointslice local-web node1
wait_until 12 kvk_nobody_holds "$local_addr" ||
  fail "$local_addr is on [$(kvk_holders_of "$local_addr")] with its only endpoint on the excluded node1"
sleep 3
assert_eq "" "$(kvk_holders_of "$local_addr")" "nobody holds $local_addr with its only endpoint on the excluded node1"

report=$(kvk_addr_holders_check) || fail "two live nodes held a Service address at once: $report"
log "address holder report: $report"
assert_eq 0 "$(grep -c ' node1 present ' "$LAB_DIR/addr_holders.node1.tsv" || true)" \
  "times the excluded node1 held a Service address"
echo "MEASURED services election: externalTrafficPolicy Local address followed its endpoint in ${moved_s}s"
lab_pass
