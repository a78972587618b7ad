#!/usr/bin/env bash
# A follower's kube-vip is killed and started again on its kept Raft data dir: it must rejoin as a
# follower of the current leader without an election. The leader keeps the VIP throughout and
# the client never misses an answer.
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "cluster: restarted follower rejoins without a leader change"
lab_require_kubevip
lab_create 3
lab_start_servers
lab_holders_start

lab_start_cluster
lab_wait_leader
leader=$LAB_LEADER
follower=$(lab_node_names | grep -vx "$leader" | head -n1)
log "leader $leader, restarting follower $follower"

declare -A lines_before=()
for n in $(lab_node_names); do lines_before[$n]=$(wc -l <"$(lab_kv_log "$n")"); done
since_kill() { tail -n +$((lines_before[$1] + 1)) "$(lab_kv_log "$1")"; }

lab_prober_start "$LAB_VIP4"
sleep 0.3
t=$(lab_now)
lab_kill "$follower" KILL
lab_wait_exit "$follower" 2 || fail "SIGKILLed kube-vip on $follower did not exit"
sleep 1  # longer than the election timeout: the leader keeps leading with one follower
lab_start_cluster_node "$follower"
check "$follower rejoins and follows $leader" \
  wait_until 5 eval 'sed -n "/^==== .* start /h; /^==== .* start /!H; \${x;p}" "$(lab_kv_log "$follower")" | grep -q "leader is $leader\$"'
sleep 2
report=$(lab_prober_analyze "$t")
log "prober: $report"
assert_eq "$leader" "$(lab_vip_holders)" "VIP holder after the restart"
check "$follower's kube-vip runs" lab_kubevip_running "$follower"
answers_by_others=$(awk -v t="$t" -v l="$leader" '$1 + 0 >= t + 0 && $3 == "ok" && $4 != l' "$LAB_DIR/prober.tsv" | wc -l)
fails=$(awk -v t="$t" '$1 + 0 >= t + 0 && $3 == "fail"' "$LAB_DIR/prober.tsv" | wc -l)
assert_eq 0 "$answers_by_others" "answers from a node other than $leader"
assert_eq 0 "$fails" "failed probes"
changes=$(awk -v t="$t" '$1 + 0 >= t + 0 && ($3 == "present" || $3 == "absent")' "$LAB_DIR"/holders.node?.tsv | wc -l)
assert_eq 0 "$changes" "VIP holder changes after the kill"
check "$leader never lost leadership" _lab_not eval 'since_kill "$leader" | grep -q "is no longer the leader"'
for n in $(lab_node_names | grep -vx "$follower"); do
  check "$n saw no leaderless moment" _lab_not eval 'since_kill "$n" | grep -q "no leader known"'
done
check "never two live holders" lab_holders_check
lab_pass
