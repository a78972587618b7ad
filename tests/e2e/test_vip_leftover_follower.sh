#!/usr/bin/env bash
# A VIP left on a node that joins a cluster as a follower is removed by that follower at start;
# until it is gone the leader, which probes before taking the VIP, does not add it, so no two
# live nodes ever hold it.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "vip: a follower removes a leftover VIP"
lab_require_kubevip
lab_create 3
lab_start_servers

ELECTION="election: {timeout: 300ms, heartbeat: 50ms, leaderLease: 250ms, probeInterval: 20ms, probesUnanswered: 3}"
lab_exec node3 ip addr add "$LAB_VIP4/32" dev eth0   # permanent, as a crashed run could leave it
lab_holders_start

# node1 and node2 are a quorum of three: one of them leads before node3 runs at all.
for k in 1 2 3; do
  opts=()
  [ $k != 1 ] || opts=(--start-as-leader)
  lab_write_config "$LAB_DIR/node$k.yaml" --node $k --nodes 3 "${opts[@]}" --extra "$ELECTION"
done
for k in 1 2; do lab_start_kubevip node$k "$LAB_DIR/node$k.yaml" "" --data-dir "$LAB_DIR/raft.node$k"; done
leads() { grep -q "this node ($1) is the leader" "$(lab_kv_log "$1")"; }
check "node1 or node2 leads within 5 s" wait_until 5 eval 'leads node1 || leads node2'
leader=node1; leads node1 || leader=node2
sleep 1
assert_eq node3 "$(lab_vip_holders)" "VIP holders while node3's leftover answers for it"

lab_start_kubevip node3 "$LAB_DIR/node3.yaml" "" --data-dir "$LAB_DIR/raft.node3"
check "node3 follows $leader" wait_until 5 grep -q "leader is $leader\$" "$(lab_kv_log node3)"
check "node3 removed the leftover VIP" wait_while 5 lab_has_vip node3
check "$leader takes the VIP once the leftover is gone" wait_until 5 lab_has_vip "$leader"
sleep 0.5
assert_eq "$leader" "$(lab_vip_holders)" "VIP holders"
assert_eq "$leader" "$(lab_fetch "$LAB_VIP4")" "client reaches $leader through the VIP"
check "never two live holders" lab_holders_check
lab_pass
