#!/usr/bin/env bash
# An ARP flood must not starve the control loop. From the client, tens of thousands of ARP
# requests per second for OTHER addresses of the lab subnet go to the leader for several seconds.
# The prober's kernel filter drops them before they reach kube-vip, and what does pass is read in
# bounded batches, so: no leadership change, the VIP is never released or doubled, and the
# leader's kube-vip spends little CPU on the flood.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "safety: ARP flood at the leader"
lab_require_kubevip
lab_create 3
lab_holders_start

FLOOD_SECONDS=5
FLOOD_RATE=${FLOOD_RATE:-80000}
# The leader's kube-vip may spend at most 0.1 s + 1 us per flooded frame of CPU during the flood
# (0.5 s for 400000 frames). With the frames dropped by the kernel filter it spends ~0.02 s, about
# what it spends idle; reading every frame in user space cost ~2.5 us per frame.
CPU_BASE_S=0.1
CPU_PER_FRAME_S=0.000001

lab_start_cluster
lab_wait_leader
leader=$LAB_LEADER
pid=${LAB_KV_PID[$leader]}
log "leader $leader, kube-vip pid $pid"

# utime + stime of the whole process (all threads), in seconds.
cpu_seconds() {
  local stat
  stat=$(cat "/proc/$1/stat")
  stat=${stat##*) }
  # After the command name: field 3 is state, so utime/stime (fields 14/15) are words 12/13.
  awk -v tck="$(getconf CLK_TCK)" '{ printf "%.3f", ($12 + $13) / tck }' <<<"$stat"
}

lost_before=$(grep -c "is no longer the leader" "$(lab_kv_log "$leader")" || true)
cpu0=$(cpu_seconds "$pid")
report=$(lab_exec client "$LAB_PYTHON" "$LAB_TOOLS_DIR/arp_flood.py" --interface eth0 \
  --source "$(lab_ip4 client)" --targets "$LAB_NET4_PREFIX.150-$LAB_NET4_PREFIX.199" \
  --dst-mac "$(lab_mac "$leader")" --rate "$FLOOD_RATE" --seconds "$FLOOD_SECONDS" \
  --max-frames $((FLOOD_RATE * FLOOD_SECONDS)))
cpu1=$(cpu_seconds "$pid")
cpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.3f", b - a }')
log "flood: $report; $leader's kube-vip used ${cpu}s CPU meanwhile"
sent=$(json_get "$report" sent)
check "the flood sent at least 10000 frames per second" \
  awk -v n="$sent" -v s="$FLOOD_SECONDS" 'BEGIN { exit !(n >= 10000 * s) }'

sleep 0.5
assert_eq "$leader" "$(lab_vip_holders)" "VIP holder after the flood"
assert_eq "$lost_before" "$(grep -c "is no longer the leader" "$(lab_kv_log "$leader")" || true)" \
  "times $leader lost leadership during the flood"
for n in $(lab_node_names); do
  check "$n saw no other leader" _lab_not grep -q "this node ($n) is the leader" \
    <(grep -v "this node ($leader)" "$(lab_kv_log "$n")")
done
check "$leader never released the VIP" _lab_not grep -q "VIP $LAB_VIP4 removed from" "$(lab_kv_log "$leader")"
check "never two live holders" lab_holders_check
bound=$(awk -v n="$sent" -v b="$CPU_BASE_S" -v f="$CPU_PER_FRAME_S" 'BEGIN { printf "%.3f", b + n * f }')
assert_le "$cpu" "$bound" "CPU seconds of $leader's kube-vip during the flood of $sent frames"
lab_pass
