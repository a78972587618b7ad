#!/usr/bin/env bash
# Services mode end to end, one Lease for all Services (svc_election=false): three `kube-vip
# manager` instances with svc_enable=true and no control-plane VIP. A Service created with
# `kubectl create service loadbalancer` gets the lowest free address of range-global (annotation
# kube-vip.io/loadbalancerIPs); `kubectl get svc` shows it as EXTERNAL-IP; the status (ip, ipMode
# VIP, ports) and kube-vip.io/vipHost are written; exactly one node, the holder of the Services
# Lease, holds the address and announces it with gratuitous ARP, and the client resolves it to
# that node. A SIGKILLed holder's addresses move within the lease timings; deleting the Service
# removes its address from every node. The many-address holder checker runs throughout and
# counts the killed node as live (its kernel keeps answering until the address expires).
# timeout: 180
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/apiserver/incluster.sh"

lab_init "services: one Lease for all Services, address from the pool, failover, removal"
lab_require kubectl curl tcpdump tshark arping
lab_require_kubevip
lab_create 3
kvk_start_apiserver
kvk_ipam_configmap range-global="$KVK_SVC_RANGE"
for n in node1 node2 node3; do kvk_node "$n"; done
lab_start_servers
kvk_addr_holders_start
for n in node1 node2 node3; do kvk_start_svc_manager "$n"; done
wait_until 15 eval '[ -n "$(kvk_lease_holder_of kube-system plndr-svcs-lock)" ]' ||
  fail "nobody took the Services Lease kube-system/plndr-svcs-lock within 15 s"
lease_holder=$(kvk_lease_holder_of kube-system plndr-svcs-lock)
log "Services Lease held by $lease_holder"

# ---- a Service gets the lowest free address of the pool ---------------------------------------
lab_capture_start svcarp client arp
t0=$(_lab_us)
kvk_create_lb_service web
wait_until 10 kvk_svc_has_address web >/dev/null ||
  fail "web was given no address (annotation kube-vip.io/loadbalancerIPs) within 10 s"
addr=$(kvk_svc_address web)
assert_eq "${KVK_SVC_RANGE%-*}" "$addr" "web's address: the lowest of range-global $KVK_SVC_RANGE"
wait_until 10 kvk_one_holder "$addr" >/dev/null || fail "no node holds $addr within 10 s"
announced_s=$(kvk_elapsed "$t0")
holder=$(kvk_one_holder "$addr")
log "$addr is held by $holder, ${announced_s}s after kubectl create"
assert_eq "$lease_holder" "$holder" "the address is on the Services Lease holder"
on_eth0=$(lab_exec "$holder" ip -o addr show dev eth0)
assert_contains "$on_eth0" " $addr/" "the address is on eth0 (vip_servicesinterface defaults to vip_interface)"
status_doc=$("$KUBEVIP_BIN" status --socket "$(lab_kv_socket "$holder")" --output json)
assert_eq "$addr eth0 holding $holder" "$("$LAB_PYTHON" -c 'import json,sys
v = [v for v in json.loads(sys.argv[1])["vips"] if v["address"] == sys.argv[2]]
print(" ".join([v[0]["address"], v[0]["interface"], v[0]["state"], v[0]["holder"]]) if v else "")' \
  "$status_doc" "$addr")" "kube-vip status on $holder lists the address it holds"

# ---- status, vipHost, kubectl get svc --------------------------------------------------------
wait_until 5 eval '[ -n "$(kvk_svc_ingress web)" ]' || fail "web's status.loadBalancer stays empty"
assert_eq "$addr VIP 80/TCP;" "$(kvk_svc_ingress web)" "web's status.loadBalancer.ingress (ip ipMode ports)"
wait_until 5 eval '[ "$(kvk_svc_annotation web kube-vip.io/vipHost)" = "$holder" ]' ||
  fail "kube-vip.io/vipHost is '$(kvk_svc_annotation web kube-vip.io/vipHost)', not $holder"
table=$(kvk_kubectl -n default get svc web)
log "kubectl get svc web:"$'\n'"$table"
assert_eq "$addr" "$(awk '$1 == "web" { print $4 }' <<<"$table")" "kubectl get svc: EXTERNAL-IP"

# ---- the client sees it announced --------------------------------------------------------------
sleep 0.5  # the acquisition burst is 3 rounds 100 ms apart
pcap=$(lab_capture_stop svcarp)
garps=$(lab_tshark "$pcap" \
  "arp && eth.src == $(lab_mac "$holder") && arp.src.proto_ipv4 == $addr && arp.dst.proto_ipv4 == $addr" \
  frame.time_relative arp.opcode eth.dst)
log "gratuitous ARP for $addr from $holder (time|op|eth.dst):"$'\n'"$garps"
check "the client received gratuitous ARP for $addr from $holder" test -n "$garps"
check "the client's ARP request for $addr is answered by $holder" kvk_announced_by "$addr" "$holder"
# A connection creates the client's neighbour entry (gratuitous ARP only updates existing ones).
assert_eq "$holder" "$(lab_fetch "$addr")" "the client reaches $holder's server through $addr"
assert_eq "$(lab_mac "$holder")" "$(lab_neigh_mac client "$addr")" \
  "the client's neighbour entry for $addr is $holder's MAC"
sleep 3
assert_eq "$holder" "$(kvk_holders_of "$addr")" "still exactly one holder after 3 s of renewals"

# ---- SIGKILL of the holder ----------------------------------------------------------------------
t0=$(_lab_us)
lab_kill "$holder" KILL
lab_wait_exit "$holder" 5 || fail "$holder did not die"
wait_until 12 kvk_holder_is_not "$holder" "$addr" || fail "no other node holds $addr within 12 s"
took=$(kvk_elapsed "$t0")
new_holder=$(kvk_one_holder "$addr")
log "$addr moved from $holder to $new_holder ${took}s after SIGKILL"
# Bound, as for the control-plane VIP: leaseDuration (5 s) of the followers' own clock after the
# last renewal they saw, plus one retry period, plus the probes.
assert_le "$took" 6.0 "failover of $addr after SIGKILL (leaseDuration + retryPeriod)"
wait_until 3 eval '[ "$(kvk_lease_holder_of kube-system plndr-svcs-lock)" = "$new_holder" ]' ||
  fail "the Services Lease names '$(kvk_lease_holder_of kube-system plndr-svcs-lock)', $addr is on $new_holder"
wait_until 5 eval '[ "$(kvk_svc_annotation web kube-vip.io/vipHost)" = "$new_holder" ]' ||
  fail "kube-vip.io/vipHost stays '$(kvk_svc_annotation web kube-vip.io/vipHost)' after the move to $new_holder"
check "the client's neighbour entry for $addr follows to $new_holder (its announcements)" \
  wait_until 3 eval '[ "$(lab_neigh_mac client "$addr")" = "$(lab_mac "$new_holder")" ]'
check "the client's ARP request for $addr is answered by $new_holder" \
  wait_until 3 kvk_announced_by "$addr" "$new_holder"
assert_eq "$new_holder" "$(lab_fetch "$addr")" "the client reaches $new_holder's server through $addr"
kvk_start_svc_manager "$holder"
sleep 3
assert_eq "$new_holder" "$(kvk_holders_of "$addr")" "a restarted manager does not take $addr back"

# ---- deleting the Service removes its address everywhere ---------------------------------------
t0=$(_lab_us)
kvk_kubectl -n default delete svc web >/dev/null
wait_until 5 kvk_nobody_holds "$addr" || fail "$addr is still on [$(kvk_holders_of "$addr")] 5 s after the Service was deleted"
removed_s=$(kvk_elapsed "$t0")
sleep 2
assert_eq "" "$(kvk_holders_of "$addr")" "nobody holds $addr 2 s later"

report=$(kvk_addr_holders_check) || fail "two live nodes held a Service address at once: $report"
log "address holder report: $report"
echo "MEASURED services basic: announced ${announced_s}s after create; failover ${took}s after SIGKILL; removed ${removed_s}s after delete"
lab_pass
