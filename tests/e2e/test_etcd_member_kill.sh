#!/usr/bin/env bash
# Election through etcd at the default lease TTL (5 s). The etcd member on the holder's own node
# (the first of its endpoints, the one it talks to) is SIGKILLed. Etcd leadership is moved to that
# member first, so the harder case is the one tested: the holder's endpoint and the etcd leader
# die together, and writes stall until the two survivors elect a new leader (1-2 s with etcd's
# default timings). The holder must carry on through another endpoint: the VIP never moves, the
# client sees no gap, the key keeps its revision (no new election) and its lease stays alive.
# The member then comes back and rejoins; still nothing moves.
# timeout: 90
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/lib/etcd.sh"
lab_init "etcd: the holder's own etcd member (the etcd leader) dies, the VIP stays"
lab_require_kubevip
lab_create 3
lab_start_servers
etcd_start_cluster
etcd_wait_healthy 15 || fail "the etcd cluster was not healthy within 15 s"
lab_holders_start

etcd_start_kubevip_nodes  # no ttl: the default, 5 s
wait_until 12 etcd_one_holder >/dev/null || fail "no single VIP holder within 12 s"
holder=$(etcd_one_holder)
etcd_wait_key_holder "$holder" 3 || fail "the key does not name $holder"
read -r _ revision <<<"$(etcd_get "$ETCD_KEY")"
ttl=$(etcd_lease_ttl "$ETCD_KEY")
check "the lease has the default TTL of 5 s (left: '$ttl')" eval '[ "$ttl" -ge 3 ] && [ "$ttl" -le 5 ]'
member=$(etcd_member_of "$holder")
etcd_move_leader "$member" || fail "could not move etcd leadership to $member"
wait_until 3 eval '[ "$(etcd_leader)" = "$member" ]' || fail "etcd leader is $(etcd_leader), not $member"
log "$holder holds the VIP (key revision $revision); its member $member is the etcd leader"

lab_prober_start "$LAB_VIP4"
sleep 1
t_kill=$(lab_now)
was_leader=$(etcd_leader)
etcd_kill "$member" KILL
if [ "$was_leader" = "$member" ]; then
  log "killed $member, the etcd leader and $holder's first endpoint"
else
  log "killed $member, $holder's first endpoint (the etcd leader was $was_leader)"
fi
wait_until 6 eval '[ -n "$(etcd_leader)" ]' || fail "the two surviving members elected no leader within 6 s"
log "new etcd leader: $(etcd_leader)"

# Two TTLs with the member down: long enough for the lease to have expired twice over had the
# holder not renewed it through another endpoint.
sleep 10
check "$holder still holds the VIP" lab_has_vip "$holder"
assert_eq "$holder $revision" "$(etcd_get "$ETCD_KEY")" "the key and its revision (no new election)"
ttl=$(etcd_lease_ttl "$ETCD_KEY")
check "the holder's lease is being renewed (TTL left: '$ttl' s)" eval '[ -n "$ttl" ] && [ "$ttl" -ge 2 ]'

# The member comes back on its data directory and rejoins; nothing moves.
etcd_start "$member"
etcd_wait_healthy 10 "$member" || fail "$member did not rejoin within 10 s"
sleep 2
report=$(lab_prober_analyze "$t_kill")
log "prober: $report"
assert_eq None "$(json_get "$report" new_node)" "another node answering after the member was killed"
assert_eq 0 "$(json_get "$report" failures_after_event)" "failed client connections after the kill"
gap=$(json_get "$report" gap_s)
assert_le "$gap" 0.5 "the longest time without an answer (s)"
absent=$(awk -v t="$t_kill" -v n="$holder" '$1 >= t && $2 == n && $3 == "absent"' "$LAB_DIR/holders.$holder.tsv")
assert_eq "" "$absent" "moments $holder was without the VIP"
assert_eq "$holder" "$(lab_vip_holders)" "the only holder"
assert_eq "$holder $revision" "$(etcd_get "$ETCD_KEY")" "the key once $member is back"
for n in node1 node2 node3; do check "$n still running" lab_kubevip_running "$n"; done
report=$(lab_holders_check) || fail "two live nodes held the VIP at once: $report"
LAB_CHECKS=$((LAB_CHECKS + 1))
echo "MEASURED etcd member kill, TTL 5 s: killed $member (etcd leader: $([ "$was_leader" = "$member" ] && echo yes || echo no)), VIP stayed on $holder, longest client gap $gap s"
lab_pass
