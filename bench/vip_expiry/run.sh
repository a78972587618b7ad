#!/usr/bin/env bash
# How long after a SIGKILL of kube-vip does its VIP disappear from the node?
#
# A SIGKILLed daemon cannot remove the VIP; the kernel drops it when its valid lifetime (1 s,
# renewed every 200 ms) runs out. This bench starts a singleNode kube-vip in a namespace lab,
# lets it renew for a while, SIGKILLs it, and takes the time of the kernel's RTM_DELADDR from a
# netlink watcher (tools/holders.py, CLOCK_MONOTONIC). Per trial it prints the time from the
# SIGKILL and from the last renewal the kernel reported; then min/median/max.
#
#   bench/vip_expiry/run.sh [--trials N] [--vip ADDR] [--baseline]
#     --trials N   default 10
#     --vip ADDR   default 10.201.0.100 (e.g. fd00:201::100 for IPv6)
#     --baseline   no kube-vip: a shell loop renews the address with `ip addr change` instead,
#                  which measures the kernel alone
# Needs root; KUBEVIP_BIN (default bin/kube-vip) for the non-baseline run.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
source "$repo/tests/e2e/lib/lab.sh"

trials=10 vip="" baseline=""
while [ $# -gt 0 ]; do
  case "$1" in
    --trials) trials=$2; shift ;;
    --vip) vip=$2; shift ;;
    --baseline) baseline=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

lab_init "bench vip_expiry"
vip=${vip:-$LAB_VIP4}
if [[ $vip == *:* ]]; then plen=128; else plen=32; fi
[ -n "$baseline" ] || lab_require_kubevip
lab_create 1
lab_bg watch node1 "$LAB_PYTHON" "$LAB_TOOLS_DIR/holders.py" watch --node node1 --vip "$vip" \
  --renewals --out "$LAB_DIR/watch.tsv"
wait_until 5 grep -qs '^[0-9]' "$LAB_DIR/watch.tsv" || fail "watcher did not start"

# Sends SIGKILL to PID and prints the CLOCK_MONOTONIC time just before it.
kill_at() {
  "$LAB_PYTHON" -S -c 'import os, sys, time
t = time.monotonic(); os.kill(int(sys.argv[1]), 9); print("%.6f" % t)' "$1"
}

renew_loop() {  # the --baseline stand-in for kube-vip: add, then renew every 200 ms
  ip addr add "$vip/$plen" dev eth0 valid_lft 1 preferred_lft 0 nodad 2>/dev/null ||
    ip addr add "$vip/$plen" dev eth0 valid_lft 1 preferred_lft 0
  while sleep 0.2; do ip addr change "$vip/$plen" dev eth0 valid_lft 1 preferred_lft 0; done
}
export -f renew_loop
export vip plen

results=()
echo "trial  after SIGKILL  after last renewal"
for ((i = 1; i <= trials; i++)); do
  if [ -n "$baseline" ]; then
    lab_bg renew node1 bash -c renew_loop
    pid=${LAB_BG_PID[renew]}
    wait_until 5 lab_has_vip node1 "$vip" || fail "baseline loop did not add $vip"
  else
    lab_start_single node1 "$vip" >/dev/null 2>&1
    pid=${LAB_KV_PID[node1]}
    disown "$pid"  # no "Killed" job report from bash for each trial
  fi
  sleep 1.3   # several renewals, and a random phase of the 200 ms renewal cycle below
  sleep "0.$((RANDOM % 200 + 100))"
  t_kill=$(kill_at "$pid")
  wait_while 5 lab_has_vip node1 "$vip" || fail "$vip still present 5 s after SIGKILL"
  sleep 0.05
  # The kernel's deletion and the last update it reported before it.
  read -r t_gone t_renew < <(awk -v k="$t_kill" '
    $3 == "renew" || $3 == "present" { last = $1 }
    $3 == "absent" && $1 > k && !done { printf "%s %s\n", $1, last; done = 1 }' "$LAB_DIR/watch.tsv")
  [ -n "${t_gone:-}" ] || fail "watcher recorded no deletion after the SIGKILL"
  since_kill=$(awk -v a="$t_kill" -v b="$t_gone" 'BEGIN { printf "%.3f", b - a }')
  since_renew=$(awk -v a="$t_renew" -v b="$t_gone" 'BEGIN { printf "%.3f", b - a }')
  printf '%5d  %11ss  %17ss\n' "$i" "$since_kill" "$since_renew"
  results+=("$since_kill $since_renew")
  if [ -n "$baseline" ]; then lab_bg_stop renew KILL; else lab_wait_exit node1 2 || fail "kube-vip survived SIGKILL"; fi
done

printf '%s\n' "${results[@]}" | "$LAB_PYTHON" -c '
import statistics, sys
vip, mode = sys.argv[1], sys.argv[2]
rows = [tuple(map(float, line.split())) for line in sys.stdin if line.strip()]
def stats(xs):
    return "min %.3fs median %.3fs max %.3fs" % (min(xs), statistics.median(xs), max(xs))
print("VIP %s%s, %d trials: after SIGKILL %s; after last renewal %s" % (
    vip, " " + mode if mode else "", len(rows), stats([r[0] for r in rows]),
    stats([r[1] for r in rows])))' "$vip" "${baseline:+(baseline: ip addr change loop, no kube-vip)}"
