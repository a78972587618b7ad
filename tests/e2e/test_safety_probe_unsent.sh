#!/usr/bin/env bash
# Probes that never leave the node are not silence. A tc egress filter drops every ARP frame the
# followers send (classic BPF in cls_bpf), so their probes never reach the wire; then the
# leader's kube-vip is SIGKILLed on a node that stays up, so its kernel keeps the VIP until the
# lifetime runs out. The new leader cannot probe: it must wait until the old holder's lifetime
# bound has passed (vipTiming.lifetime + 1 s after it began to lead) and only then add the VIP,
# saying so in its log. At no moment may two live nodes hold the VIP.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "safety: probes that cannot leave, leader SIGKILLed"
lab_require_kubevip
lab_create 3
lab_holders_start

lab_start_cluster
lab_wait_leader
old=$LAB_LEADER
followers=$(lab_node_names | grep -vx "$old" | paste -sd' ')

# ldh [12]; jeq #0x806 (ARP) -> return TC_ACT_SHOT (2), else TC_ACT_OK (0).
drop_arp='4,40 0 0 12,21 0 1 2054,6 0 0 2,6 0 0 0'
for f in $followers; do
  # The followers still need each other's MACs for the election: fixed neighbour entries.
  for n in $(lab_node_names); do
    [ "$n" = "$f" ] || lab_exec "$f" ip neigh replace "$(lab_ip4 "$n")" lladdr "$(lab_mac "$n")" \
      dev eth0 nud permanent
  done
  lab_exec "$f" tc qdisc add dev eth0 clsact
  lab_exec "$f" tc filter add dev eth0 egress bpf da bytecode "$drop_arp"
done
log "ARP frames sent by $followers are dropped before they leave"

t=$(lab_now)
lab_kill "$old" KILL
check "a follower holds the VIP within 5 s" \
  wait_until 5 eval '[ -n "$(lab_vip_holders | tr " " "\n" | grep -vx "$old")" ]'
taken=$(lab_now)
new=$(lab_vip_holders | tr ' ' '\n' | grep -vx "$old" | head -n1)
check "never two live holders" lab_holders_check
check "$old's address was gone when $new took the VIP" _lab_not lab_has_vip "$old"
check "$new said it added the VIP without a working probe" \
  grep -q "added without a working probe" "$(lab_kv_log "$new")"
takeover=$(awk -v a="$t" -v b="$taken" 'BEGIN { printf "%.3f", b - a }')
log "takeover after SIGKILL: ${takeover}s (election + lifetime 1 s + 1 s slack)"
assert_le 2.0 "$takeover" "takeover waits for the lifetime bound (s)"
lab_wait_exit "$old" 2 || fail "SIGKILLed kube-vip on $old did not exit"
lab_pass
