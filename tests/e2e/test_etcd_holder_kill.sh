#!/usr/bin/env bash
# Election through etcd, lease TTL 2 s. The holder's kube-vip is SIGKILLed (its node and etcd
# member stay up): its lease expires in etcd, the key goes with it, a follower watching the key
# takes over (after its ARP probe found the old address gone) within the bound derived below.
# Then the new holder is stopped with SIGTERM: it removes the VIP and revokes its lease, so the
# key is deleted at once and the third node takes over in well under a second, not a TTL later.
# At no moment may two live nodes hold the VIP.
# timeout: 90
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/lib/etcd.sh"
lab_init "etcd: holder SIGKILLed, then SIGTERMed: the others take over"
lab_require_kubevip
lab_create 3
lab_start_servers
etcd_start_cluster
etcd_wait_healthy 15 || fail "the etcd cluster was not healthy within 15 s"
lab_holders_start

TTL=2
etcd_start_kubevip_nodes --ttl "${TTL}s"
wait_until 10 etcd_one_holder >/dev/null || fail "no single VIP holder within 10 s"
first=$(etcd_one_holder)
etcd_wait_key_holder "$first" 3 || fail "the key does not name $first"
read -r _ first_revision <<<"$(etcd_get "$ETCD_KEY")"
log "$first holds the VIP (key revision $first_revision)"

# The bound for a SIGKILLed holder, counted from the kill:
#   its last keep-alive was sent before the kill, so its lease expires at most TTL after it;
#   etcd's lessor looks for expired leases every 500 ms and then revokes (one Raft commit);
#   the followers watch the key and acquire at once on its deletion; one whose watch missed it
#   sees it at its next read of the key, TTL/4 plus up to half as much jitter later (one retry);
#   the ARP probe before adding the VIP: 3 x 20 ms (the killed holder's address, valid 1 s from
#   its last renewal, is gone ~1.25 s after the kill, before the lease expires);
#   plus 0.3 s for scheduling on a loaded machine and the client's first successful connect.
retry=$(awk -v ttl="$TTL" 'BEGIN { print ttl / 4 * 1.5 }')
bound=$(awk -v ttl="$TTL" -v retry="$retry" 'BEGIN { printf "%.2f", ttl + 0.5 + retry + 3 * 0.02 + 0.3 }')
log "takeover bound after SIGKILL: $bound s (TTL $TTL + lessor 0.5 + retry $retry + probe 0.06 + 0.3)"

lab_prober_start "$LAB_VIP4"
sleep 0.3
t_kill=$(lab_now)
lab_kill "$first" KILL
second=""
wait_until 8 eval 'second=$(etcd_one_holder) && [ "$second" != "$first" ]' ||
  fail "no other node took the VIP within 8 s of the SIGKILL"
check "the prober reaches $second" \
  wait_until 2 eval '[ "$(tail -n1 "$LAB_DIR/prober.tsv" | cut -d" " -f4)" = "$second" ]'
report=$(lab_prober_analyze "$t_kill")
log "prober after SIGKILL: $report"
takeover_kill=$(json_get "$report" takeover_s)
assert_eq "$second" "$(json_get "$report" new_node)" "the node answering after the SIGKILL"
assert_le "$takeover_kill" "$bound" "takeover after SIGKILL of the holder (s)"
etcd_wait_key_holder "$second" 2 || fail "the key does not name the new holder $second"
read -r _ second_revision <<<"$(etcd_get "$ETCD_KEY")"
assert_le "$((first_revision + 1))" "$second_revision" "the fencing token grew ($first_revision -> $second_revision)"
check "$second logs its fencing token $second_revision" \
  grep -Eq "fencing token $second_revision\b" "$(lab_kv_log "$second")"
lab_wait_exit "$first" 2 || fail "the SIGKILLed kube-vip on $first did not exit"

# Clean stop of the new holder: the lease is revoked, no TTL to wait for.
third=""
for n in node1 node2 node3; do [ "$n" = "$first" ] || [ "$n" = "$second" ] || third=$n; done
sleep 1
lab_prober_start "$LAB_VIP4"
sleep 0.3
t_term=$(lab_now)
lab_kill "$second" TERM
wait_until 4 lab_has_vip "$third" || fail "$third did not take the VIP within 4 s of $second's SIGTERM"
check "the prober reaches $third" \
  wait_until 2 eval '[ "$(tail -n1 "$LAB_DIR/prober.tsv" | cut -d" " -f4)" = "$third" ]'
report=$(lab_prober_analyze "$t_term")
log "prober after SIGTERM: $report"
takeover_term=$(json_get "$report" takeover_s)
assert_eq "$third" "$(json_get "$report" new_node)" "the node answering after the SIGTERM"
# A revoked lease deletes the key in one commit; the watcher's probe is 60 ms: far below a TTL.
assert_le "$takeover_term" 1 "takeover after SIGTERM of the holder (s)"
lab_wait_exit "$second" 5 || fail "kube-vip on $second did not exit within 5 s of SIGTERM"
assert_eq 0 "$LAB_EXIT_CODE" "exit status of the SIGTERMed kube-vip"
etcd_wait_key_holder "$third" 2 || fail "the key does not name $third"
read -r _ third_revision <<<"$(etcd_get "$ETCD_KEY")"
assert_le "$((second_revision + 1))" "$third_revision" "the fencing token grew ($second_revision -> $third_revision)"
assert_eq "$third" "$(lab_vip_holders)" "the only holder"
assert_eq "$third" "$(lab_fetch "$LAB_VIP4")" "the client reaches $third"
report=$(lab_holders_check) || fail "two live nodes held the VIP at once: $report"
LAB_CHECKS=$((LAB_CHECKS + 1))
echo "MEASURED etcd takeover (s), TTL $TTL: after SIGKILL $takeover_kill (bound $bound), after SIGTERM $takeover_term"
lab_pass
