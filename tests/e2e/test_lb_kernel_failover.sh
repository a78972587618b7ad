#!/usr/bin/env bash
# lb, kernel forwarding in a 3-node Raft cluster: only the VIP holder has the table `inet
# kube_vip`. The leader SIGKILLed: the new leader installs the table and traffic through the VIP
# works again, while the killed node keeps its table (nothing ran to delete it); restarted, it
# deletes that leftover at start and stays a follower without one. The leader stopped with SIGTERM
# deletes its table on the way out; the next leader has it. Never two live VIP holders.
# timeout: 90
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/lib/lb_kernel.sh"
lab_init "lb kernel: the table follows the VIP; SIGKILL leftovers deleted at start, SIGTERM deletes"
lab_require_kubevip
lab_create 5  # node1..node3 run kube-vip; node4 and node5 are backends
for k in 4 5; do lbk_start_peer "node$k"; done
members=(node1 node2 node3)

for k in 1 2 3; do
  leader_opt=()
  [ "$k" != 1 ] || leader_opt=(--start-as-leader)
  lab_write_config "$LAB_DIR/node$k.yaml" --node "$k" --nodes 3 "${leader_opt[@]}" --extra "$(
    echo "loadBalancers:"
    echo "  - name: web"
    echo "    port: 80"
    echo "    forwarding: kernel"
    echo "    backends:"
    lbk_backend_yaml 4
    lbk_backend_yaml 5
    lbk_health_yaml 200
  )"
done
"$KUBEVIP_BIN" check -c "$LAB_DIR/node1.yaml" >/dev/null || fail "the configuration is refused"
lab_holders_start "$LAB_VIP4"
for m in "${members[@]}"; do lab_start_cluster_node "$m"; done
lab_wait_leader "$LAB_VIP4"
leader=$LAB_LEADER

# tables_on: the members whose namespace has the table, space-separated.
tables_on() {
  local m out=()
  for m in "${members[@]}"; do lbk_table_present "$m" && out+=("$m"); done
  echo "${out[*]}"
}
tables_only_on() { [ "$(tables_on)" = "$1" ]; }
# held_by_one_other NODE: exactly one node holds the VIP, and it is not NODE.
held_by_one_other() {
  local holders; holders=$(lab_vip_holders)
  [ "$(wc -w <<<"$holders")" = 1 ] && [ "$holders" != "$1" ]
}
# serves: every one of 6 connections through the VIP is answered by a backend.
serves() {
  local answers
  answers=$(lbk_ask tcp "$LAB_VIP4" 80 6)
  ! grep -qvE '^node[45] ' <<<"$answers"
}

wait_until 5 tables_only_on "$leader" || fail "tables on: '$(tables_on)', leader $leader"
check "traffic through the VIP reaches the backends" serves

# SIGKILL: the leader's kube-vip dies, its namespace (and so its table) stays.
lab_kill "$leader" KILL
lab_wait_exit "$leader" 2 || fail "SIGKILLed kube-vip on $leader did not exit"
wait_until 5 held_by_one_other "$leader" || fail "no other node took the VIP"
new=$(lab_vip_holders)
log "$new took over from $leader"
wait_until 3 lbk_table_present "$new" || fail "the new leader $new has no table"
wait_until 3 serves || fail "no traffic through the VIP after the takeover"
check "the killed node still has its leftover table" lbk_table_present "$leader"

# Restarted, the killed node deletes the leftover at start and follows without a table.
lab_start_cluster_node "$leader"
wait_until 5 _lab_not lbk_table_present "$leader" || fail "the restarted $leader kept its leftover table"
sleep 1  # let it join as a follower
assert_eq "$new" "$(tables_on)" "only the leader has the table after the restart"
assert_eq "$new" "$(lab_vip_holders)" "the VIP stayed on the leader"
check "traffic through the VIP still works" serves

# SIGTERM: the leader deletes its table as it leaves; the next leader installs its own.
lab_stop_kubevip "$new" TERM 5 || fail "$new did not stop on SIGTERM"
assert_eq 0 "$LAB_EXIT_CODE" "exit status after SIGTERM"
check "the stopped leader deleted its table" _lab_not lbk_table_present "$new"
wait_until 5 held_by_one_other "$new" || fail "nobody took the VIP after the SIGTERM"
next=$(lab_vip_holders)
wait_until 3 tables_only_on "$next" || fail "tables on: '$(tables_on)', leader $next"
wait_until 3 serves || fail "no traffic through the VIP after the hand-over"
check "never two live VIP holders" lab_holders_check
lab_pass "the table followed the VIP through SIGKILL, restart and SIGTERM"
