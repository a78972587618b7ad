#!/usr/bin/env bash
# The leader is cut off by an nftables drop rule in its own namespace (everything on eth0, both
# ways, ARP too); its link stays up, so for the VIP-holder checker it is a LIVE node. It must drop
# the VIP by itself once its leader lease (250 ms) can no longer be renewed, within about the lease
# plus one renewal interval (200 ms), before the others' new leader adds it. After the partition
# heals it rejoins as a follower without disturbing the new leader (pre-vote).
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "cluster: isolated leader drops the VIP by itself"
lab_require_kubevip
lab_create 3
lab_start_servers
lab_holders_start

lab_start_cluster
lab_wait_leader
old=$LAB_LEADER

t_cut=$(lab_now)
lab_partition "$old"
check "$old drops the VIP within 2 s of the cut" wait_while 2 lab_has_vip "$old"
# The exact moment, from its holder watcher (netlink events, 10 ms dumps).
t_drop=$(awk -v t="$t_cut" '$1 + 0 >= t + 0 && $3 == "absent" { print $1; exit }' "$LAB_DIR/holders.$old.tsv")
dropped_after=$(awk -v a="$t_cut" -v b="$t_drop" 'BEGIN { printf "%.3f", b - a }')
log "$old removed the VIP ${dropped_after}s after the cut"
# lease 250 ms + renew interval 200 ms = 450 ms; 0.2 s more for scheduling on a busy machine. The
# kernel lifetime (1 s) alone would take >= 1 s: this proves the daemon fenced itself.
assert_le "$dropped_after" 0.65 "time from the cut to $old dropping the VIP (s)"
check "$old's kube-vip still runs" lab_kubevip_running "$old"

check "another node holds the VIP within 3 s" wait_until 3 eval '[ -n "$(lab_vip_holders)" ]'
new=$(lab_vip_holders)
assert_eq 1 "$(wc -w <<<"$new")" "number of VIP holders ($new)"
assert_ne "$old" "$new" "new VIP holder"
assert_eq "$new" "$(lab_fetch "$LAB_VIP4")" "client reaches the new leader"
sleep 0.5
check "$old, still cut off, does not take the VIP back" _lab_not lab_has_vip "$old"

lab_heal "$old"
sleep 2
assert_eq "$new" "$(lab_vip_holders)" "VIP holder 2 s after the partition healed"
check "$new did not lose leadership" _lab_not grep -q "this node ($new) is no longer the leader" "$(lab_kv_log "$new")"
check "$old follows $new" wait_until 2 eval 'grep "leader is " "$(lab_kv_log "$old")" | tail -n1 | grep -q "leader is $new\$"'
check "never two live holders" lab_holders_check
lab_pass
