#!/usr/bin/env bash
# A static pod does not need the VIP to reach the API server. As on a kubeadm cluster created with
# --control-plane-endpoint VIP:6443, the kubeconfig's server is https://VIP:6443; each node reaches
# the API server only through its "own API server", a forwarder on its 127.0.0.1:6443. Exactly one
# node comes to hold the VIP (a client that used the kubeconfig's server could never reach the API
# server before some node holds the VIP, so none ever would), TLS is verified against the VIP the
# kubeconfig names, and when the holder's own API server goes away it cannot renew, gives the VIP
# up, and a node whose API server works takes it. The holder checker never sees two holders.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/apiserver/incluster.sh"

lab_init "incluster: static pods talk to their own API server, not to the VIP"
lab_require_kubevip
lab_create 3
# The server certificate carries the VIP (kubeadm adds the control-plane endpoint to its SANs).
kvk_start_apiserver --san "IP:$LAB_VIP4" --kubeconfig-server "https://$LAB_VIP4:$KVK_API_PORT"
check "the kubeconfig names the VIP" grep -q "server: https://$LAB_VIP4:$KVK_API_PORT" "$(kvk_kubeconfig admin)"
for n in node1 node2 node3; do
  kvk_start_local_apiserver "$n"
  kvk_start_manager "$n" admin k8s_use_kubeconfig_server=false
done
lab_holders_start

wait_until 15 kvk_one_holder >/dev/null ||
  fail "no single VIP holder after 15 s (holders: '$(lab_vip_holders)'); node1 log: $(tail -3 "$(lab_kv_log node1)")"
leader=$(kvk_one_holder)
log "leader: $leader"
check "the manager names the server it uses" grep -q \
  "connecting to this node's own API server at 127.0.0.1:$KVK_API_PORT, verifying TLS as $LAB_VIP4 (kubeconfig server https://$LAB_VIP4:$KVK_API_PORT)" \
  "$(lab_kv_log "$leader")"
wait_until 3 kvk_lease_holder_is "$leader" ||
  fail "the Lease names '$(kvk_lease_field holderIdentity)', the VIP is on $leader"
sleep 3
assert_eq "$leader" "$(lab_vip_holders)" "still exactly one holder after 3 s of renewals"

# The holder's own API server goes away: it cannot renew, so it gives the VIP up (renew deadline
# 3 s) and a node whose API server works takes the expired Lease (lease duration 5 s).
t0=$(_lab_us)
lab_bg_stop "fwd-$leader" KILL
wait_until 12 kvk_holder_is_not "$leader" || fail "no other node took the VIP within 12 s"
new_leader=$(kvk_one_holder)
log "VIP moved from $leader to $new_leader $(kvk_elapsed "$t0") s after $leader's API server went away"
wait_until 3 kvk_lease_holder_is "$new_leader" || fail "the Lease does not name $new_leader"
check "$leader logged the failed renewal" grep -q "https://$LAB_VIP4:$KVK_API_PORT via 127.0.0.1:$KVK_API_PORT" "$(lab_kv_log "$leader")"
sleep 3
assert_eq "$new_leader" "$(lab_vip_holders)" "$leader, without its API server, does not take the VIP back"

report=$(lab_holders_check) || fail "two live nodes held the VIP at once: $report"
log "holder overlap report: $report"
lab_pass
