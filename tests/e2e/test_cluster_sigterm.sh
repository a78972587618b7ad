#!/usr/bin/env bash
# SIGTERM on the leader is a planned handover: it removes the VIP, hands leadership to another
# member and exits 0; the new leader takes the VIP at once (no waiting for an election timeout or
# an address lifetime), so the client's outage is short.
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "cluster: SIGTERM on the leader hands over"
lab_require_kubevip
lab_create 3
lab_start_servers
lab_holders_start

lab_start_cluster
lab_wait_leader
old=$LAB_LEADER

lab_prober_start "$LAB_VIP4"
sleep 0.3
t=$(lab_now)
lab_stop_kubevip "$old" TERM 3 || fail "kube-vip on $old did not exit within 3 s of SIGTERM"
assert_eq 0 "$LAB_EXIT_CODE" "exit status after SIGTERM"
check "$old no longer holds the VIP" _lab_not lab_has_vip "$old"
check "another node holds the VIP within 1 s" wait_until 1 eval '[ -n "$(lab_vip_holders)" ]'
new=$(lab_vip_holders)
assert_eq 1 "$(wc -w <<<"$new")" "number of VIP holders ($new)"
sleep 0.5
report=$(lab_prober_analyze "$t")
log "prober: $report"
assert_eq "$new" "$(json_get "$report" new_node)" "node answering after the handover"
# The benchmark measures the handover (median target 100 ms); here a bound that a loaded CI
# machine keeps, still well below an election timeout plus the 1 s address lifetime.
assert_le "$(json_get "$report" takeover_s)" 0.5 "handover as seen by the client (s)"
check "handover logged by $old" grep -q "leadership handed over to $new" "$(lab_kv_log "$old")"
assert_eq "$new" "$(lab_fetch "$LAB_VIP4")" "client reaches the new leader"
check "never two live holders" lab_holders_check
lab_pass
