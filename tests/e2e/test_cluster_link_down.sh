#!/usr/bin/env bash
# The leader's link goes down (its kube-vip keeps running, cut off): another node must take the VIP
# and serve the client; the cut-off leader must give the VIP up by itself (its leader lease cannot
# be renewed). When the link comes back, the old leader must rejoin as a follower: it neither
# takes the VIP back nor disturbs the new leader, which keeps the VIP for the following seconds.
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "cluster: leader link down and up again"
lab_require_kubevip
lab_create 3
lab_start_servers
lab_holders_start

lab_start_cluster
lab_wait_leader
old=$LAB_LEADER

# The holders other than NODE (the cut-off node may still have the VIP; it does not count).
holders_except() { lab_vip_holders | tr ' ' '\n' | grep -vx "$1" | paste -sd' '; }

lab_link_down "$old"
check "another node holds the VIP within 3 s" wait_until 3 eval '[ -n "$(holders_except "$old")" ]'
new=$(holders_except "$old")
assert_eq 1 "$(wc -w <<<"$new")" "number of live VIP holders ($new)"
assert_eq "$new" "$(lab_fetch "$LAB_VIP4")" "client reaches the new leader"
check "$old (cut off) gives the VIP up within 2 s" wait_while 2 lab_has_vip "$old"
check "$old's kube-vip still runs" lab_kubevip_running "$old"

lab_prober_start "$LAB_VIP4"
lab_link_up "$old"
sleep 3
report=$(lab_prober_analyze "$(lab_now)")
assert_eq "$new" "$(lab_vip_holders)" "VIP holder 3 s after $old's link came back"
assert_eq "$new" "$(json_get "$report" old_node)" "node answering the client"
fails=$(awk '$3 == "fail"' "$LAB_DIR/prober.tsv" | wc -l)
others=$(awk -v n="$new" '$3 == "ok" && $4 != n' "$LAB_DIR/prober.tsv" | wc -l)
assert_eq 0 "$fails" "failed probes after the link came back"
assert_eq 0 "$others" "probes answered by another node after the link came back"
check "$new did not lose leadership" _lab_not grep -q "this node ($new) is no longer the leader" "$(lab_kv_log "$new")"
check "$old follows $new" wait_until 2 eval 'grep "leader is " "$(lab_kv_log "$old")" | tail -n1 | grep -q "leader is $new\$"'
check "never two live holders" lab_holders_check
lab_pass
