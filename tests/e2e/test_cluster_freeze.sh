#!/usr/bin/env bash
# The leader's process is frozen (SIGSTOP) for 1.5 s, longer than the election timeout (300 ms)
# and than the VIP's kernel lifetime (1 s): the others elect a new leader, which may add the VIP
# only after the frozen node's address has expired (its ARP probes are answered until then). When
# the old leader resumes (SIGCONT) with a stale view of the world, it must not renew or re-add the
# VIP: at no moment may two live nodes hold it. It ends up a follower of the new leader.
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "cluster: frozen leader resumes as a follower"
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
lab_kill "$old" STOP
sleep 1.5
lab_kill "$old" CONT
check "another node holds the VIP within 2 s of the resume" \
  wait_until 2 eval 'h=$(lab_vip_holders); [ -n "$h" ] && [ "$h" != "$old" ]'
new=$(lab_vip_holders)
assert_eq 1 "$(wc -w <<<"$new")" "number of VIP holders ($new)"
sleep 2
report=$(lab_prober_analyze "$t")
log "prober: $report"
assert_eq "$new" "$(lab_vip_holders)" "VIP holder 2 s after the resume"
check "$old does not hold the VIP" _lab_not lab_has_vip "$old"
check "$old's kube-vip still runs" lab_kubevip_running "$old"
assert_eq "$new" "$(lab_fetch "$LAB_VIP4")" "client reaches the new leader"
back=$(awk -v t="$t" -v n="$new" -v o="$old" \
  'BEGIN { seen = 0; c = 0 } $3 == "ok" && $2 + 0 >= t + 0 { if ($4 == n) seen = 1; else if (seen && $4 == o) c++ } END { print c }' \
  "$LAB_DIR/prober.tsv")
assert_eq 0 "$back" "answers from $old after $new had taken over"
check "$old follows $new" wait_until 2 eval 'grep "leader is " "$(lab_kv_log "$old")" | tail -n1 | grep -q "leader is $new\$"'

# A shorter freeze (0.6 s): the frozen leader's VIP has not expired yet when it resumes, so the
# other side is still probing; the resumed node must let go at once (its lease is stale) rather
# than renew the address.
second=$new
lab_kill "$second" STOP
sleep 0.6
lab_kill "$second" CONT
check "a single VIP holder again within 3 s" \
  wait_until 3 eval '[ "$(lab_vip_holders | wc -w)" = 1 ] && lab_fetch "$LAB_VIP4" >/dev/null 2>&1'
sleep 1
assert_eq 1 "$(lab_vip_holders | wc -w)" "number of VIP holders 1 s later ($(lab_vip_holders))"
assert_eq "$(lab_vip_holders)" "$(lab_fetch "$LAB_VIP4")" "client reaches the holder"
check "never two live holders" lab_holders_check
lab_pass
