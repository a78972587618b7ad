#!/usr/bin/env bash
# A probe that cannot be heard is not silence. Each follower's link goes down and up (the kernel
# leaves ENETDOWN on its packet sockets, and libuv stops polling a socket that reported an
# error); then the leader's kube-vip is SIGKILLed on a node that stays up, so its kernel keeps the
# VIP until the lifetime runs out. Both followers were flapped, so whichever wins the election
# probes through sockets that went through the link flap: they must have reopened by themselves
# (logged once), the new leader must hear the old holder answer its probes and add the VIP only
# after the old address expired. At no moment may two live nodes hold the VIP.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "safety: probing after a link flap, leader SIGKILLed"
lab_require_kubevip
lab_create 3
lab_holders_start

lab_start_cluster
lab_wait_leader
old=$LAB_LEADER
followers=$(lab_node_names | grep -vx "$old" | paste -sd' ')

for f in $followers; do
  lab_link_down "$f"
  sleep 1
  lab_link_up "$f"
  sleep 1
done
check "the followers rejoined without moving the VIP" wait_until 3 eval '[ "$(lab_vip_holders)" = "$old" ]'
sleep 2  # the sockets reopen; every follower hears the leader again

t=$(lab_now)
lab_kill "$old" KILL
check "a flapped follower holds the VIP within 4 s" \
  wait_until 4 eval '[ -n "$(lab_vip_holders | tr " " "\n" | grep -vx "$old")" ]'
taken=$(lab_now)
new=$(lab_vip_holders | tr ' ' '\n' | grep -vx "$old" | head -n1)
check "never two live holders" lab_holders_check
check "$new heard the old holder answer its probes" \
  grep -q "still holds it; waiting until it lets go" "$(lab_kv_log "$new")"
check "$old's address was gone when $new took the VIP" _lab_not lab_has_vip "$old"
takeover=$(awk -v a="$t" -v b="$taken" 'BEGIN { printf "%.3f", b - a }')
log "takeover after SIGKILL: ${takeover}s (the killed leader's address lives <= ~1.25 s)"
assert_le "$takeover" 3.5 "takeover after SIGKILL (s)"
lab_wait_exit "$old" 2 || fail "SIGKILLed kube-vip on $old did not exit"
for f in $followers; do
  assert_eq 1 "$(grep -c 'probe receive socket on eth0 works again' "$(lab_kv_log "$f")")" \
    "recoveries of the probe socket logged on $f"
done
lab_pass
