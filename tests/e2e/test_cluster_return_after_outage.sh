#!/usr/bin/env bash
# A member that vanished without closing its connections (link down, then SIGKILL) comes back
# 8 s later with a new process on its data dir. The others' connections to the old process are
# still open on their side; they must not keep it deaf: it follows the leader within 2 s of its
# start, and when the leader is lost 2.5 s after the return, the two remaining members elect a new
# leader within the usual failover time. At no moment may two live nodes hold the VIP.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "cluster: failover shortly after a lost member returned"
lab_require_kubevip
lab_create 3
lab_holders_start

lab_start_cluster
lab_wait_leader
first=$LAB_LEADER

# The holders other than NODE (a cut-off node may still have the VIP; it does not count).
holders_except() { lab_vip_holders | tr ' ' '\n' | grep -vx "$1" | paste -sd' '; }
lose() {
  lab_link_down "$1"
  lab_kill "$1" KILL
  lab_wait_exit "$1" 2 || fail "SIGKILLed kube-vip on $1 did not exit"
}
# The log of NODE's kube-vip since its last start.
since_start() { sed -n '/^==== .* start /h; /^==== .* start /!H; ${x;p}' "$(lab_kv_log "$1")"; }
seconds_since() { awk -v a="$1" -v b="$(_lab_us)" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'; }

lose "$first"
check "another node holds the VIP within 3 s" wait_until 3 eval '[ -n "$(holders_except "$first")" ]'
second=$(holders_except "$first")
assert_eq 1 "$(wc -w <<<"$second")" "number of live VIP holders ($second)"

sleep 8  # the survivors' connections to $first retransmit with growing gaps meanwhile
lab_link_up "$first"
t_return=$(_lab_us)
lab_start_cluster_node "$first"
check "$first follows $second within 2 s of its start" \
  wait_until 2 eval 'since_start "$first" | grep -q "leader is now $second\$"'
log "$first heard $second after $(seconds_since "$t_return") s"

sleep_left=$(awk -v s="$(seconds_since "$t_return")" 'BEGIN { d = 2.5 - s; print (d > 0 ? d : 0) }')
sleep "$sleep_left"
t_lost=$(_lab_us)
lose "$second"
check "a third node holds the VIP within 4 s" \
  wait_until 4 eval '[ -n "$(holders_except "$second")" ]'
failover=$(seconds_since "$t_lost")
third=$(holders_except "$second")
log "$third holds the VIP $failover s after $second was lost"
assert_eq 1 "$(wc -w <<<"$third")" "number of live VIP holders ($third)"
# The usual failover is ~0.6 s (election timeout 300-600 ms, then the lease); 2 s leaves room for
# a loaded machine while still failing when the returned member cannot hear the others.
assert_le "$failover" 2 "failover after the leader was lost (s)"
check "never two live holders" lab_holders_check
lab_pass
