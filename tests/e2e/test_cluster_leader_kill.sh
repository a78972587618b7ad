#!/usr/bin/env bash
# The leader's kube-vip is SIGKILLed on a node that stays up: its VIP stays on eth0 until the
# kernel's lifetime runs out, so the new leader must wait for it (ARP probes answered) before adding
# its own. Another node must then hold the VIP and serve the client, and at no moment may two live
# nodes hold it.
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "cluster: leader SIGKILLed, another node takes over"
lab_require_kubevip
lab_create 3
lab_start_servers
lab_holders_start

lab_start_cluster
lab_wait_leader
old=$LAB_LEADER
assert_eq "$old" "$(lab_fetch "$LAB_VIP4")" "client reaches the first leader"

lab_prober_start "$LAB_VIP4"
sleep 0.3
t=$(lab_now)
lab_kill "$old" KILL
check "another node holds the VIP within 4 s" \
  wait_until 4 eval 'new=$(lab_vip_holders); [ "$(wc -w <<<"$new")" = 1 ] && [ "$new" != "$old" ]'
check "the prober reaches $new" wait_until 2 eval '[ "$(tail -n1 "$LAB_DIR/prober.tsv" | cut -d" " -f4)" = "$new" ]'
sleep 0.5
report=$(lab_prober_analyze "$t")
log "prober: $report"
assert_eq "$new" "$(json_get "$report" new_node)" "node answering after the kill"
# The killed leader's address lives up to ~1.25 s after its last renewal; the new leader waits for it.
assert_le "$(json_get "$report" takeover_s)" 2.5 "takeover after SIGKILL (s)"
assert_eq 1 "$(lab_vip_holders | wc -w)" "number of VIP holders"
assert_eq "$new" "$(lab_fetch "$LAB_VIP4")" "client reaches the new leader"
lab_wait_exit "$old" 2 || fail "SIGKILLed kube-vip on $old did not exit"
check "never two live holders" lab_holders_check
lab_pass
