#!/usr/bin/env bash
# Three kube-vip nodes form a Raft cluster: within a few seconds exactly one of them holds the VIP,
# the client reaches the service through it, and the holding stays put (no flapping) while the
# VIP-holder checker watches every node from before the daemons start.
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "cluster: three nodes elect one VIP holder"
lab_require_kubevip
lab_create 3
lab_start_servers
lab_holders_start

lab_start_cluster

check "a node holds the VIP within 5 s" wait_until 5 eval '[ -n "$(lab_vip_holders)" ]'
sleep 1
holder=$(lab_vip_holders)
assert_eq 1 "$(wc -w <<<"$holder")" "number of VIP holders ($holder)"
assert_eq "$holder" "$(lab_fetch "$LAB_VIP4")" "client reaches the holder through the VIP"
assert_eq "$(lab_mac "$holder")" "$(lab_neigh_mac client "$LAB_VIP4")" "client's neighbour entry for the VIP"

# All three agree on who leads (each daemon logs the leader it learns).
for n in node1 node2 node3; do
  if [ "$n" = "$holder" ]; then
    check "$n logs that it leads" grep -q "this node ($n) is the leader" "$(lab_kv_log "$n")"
  else
    check "$n follows $holder" grep -q "leader is $holder\$" "$(lab_kv_log "$n")"
  fi
done

# Steady: the same single holder, answering every probe, for 3 s.
lab_prober_start "$LAB_VIP4"
sleep 3
report=$(lab_prober_analyze "$(lab_now)")
assert_eq "$holder" "$(lab_vip_holders)" "holder after 3 s"
assert_eq "$holder" "$(json_get "$report" old_node)" "node answering the prober"
fails=$(awk '$3 == "fail"' "$LAB_DIR/prober.tsv" | wc -l)
assert_eq 0 "$fails" "failed probes while steady"
for n in node1 node2 node3; do check "$n's kube-vip still runs" lab_kubevip_running "$n"; done
check "never two live holders" lab_holders_check
lab_pass
