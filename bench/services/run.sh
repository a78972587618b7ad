#!/usr/bin/env bash
# Services mode at scale: how long do 1,000 Service addresses take to move, and a new one to appear?
#
# Three `kube-vip manager` instances in Services mode (svc_election=false: the holder of the Lease
# kube-system/plndr-svcs-lock announces every Service) against the test API server, in a
# namespace lab. The bench creates N Services of type LoadBalancer (default 1,000), each with its
# address in the annotation kube-vip.io/loadbalancerIPs (10.202.0.0/22, off the lab subnet: only
# the addresses matter here, no traffic is sent to them), waits until one node holds them all,
# SIGKILLs that node's manager and measures, from netlink watchers in every node
# (tools/addr_holders.py, CLOCK_MONOTONIC) and the Lease's acquireTime:
#   - the Lease changing hands after the SIGKILL (acquireTime - kill),
#   - from acquireTime until the first and until all N addresses are on the new holder's eth0,
#   - how many of them the new holder removed again in the 10 s after it held them all,
#   - for each of --new (default 5) Services created afterwards, one at a time: from the POST
#     until its address is on the holder's eth0.
# Prints figures only; nothing here passes or fails on speed.
#
#   bench/services/run.sh [--count N] [--new K]
# Needs root, python3, kubectl, curl, openssl; KUBEVIP_BIN (default bin/kube-vip).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$(cd "$(dirname "$0")" && pwd)
source "$repo/tests/e2e/lib/lab.sh"
source "$repo/tests/e2e/apiserver/incluster.sh"

count=1000 new=5
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count=$2; shift ;;
    --new) new=$2; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ "$count" -ge 1 ] && [ $((count + new)) -le 1016 ] || { echo "--count + --new must be 1..1016 (10.202.0.0/22)" >&2; exit 2; }

lab_init "bench services ($count Services)"
lab_require kubectl curl
lab_require_kubevip
network=10.202.0.0/22
lab_create 3
# No state file (a rewrite of every object per write would dominate), an event log and a
# Service CIDR large enough for every Service.
kvk_start_apiserver --state "" --event-log 100000 --service-cidr 10.96.0.0/20
svc_py() { lab_exec client "$LAB_PYTHON" "$here/services.py" "$@"; }
for n in node1 node2 node3; do kvk_node "$n"; done
# Address events give the times; a dump of 1,000 addresses once a second only repairs lost events.
kvk_addr_holders_start "$network" 1
for n in $(lab_node_names); do
  kvk_start_svc_manager "$n" vip_loglevel=info
done
wait_until 15 eval '[ -n "$(kvk_lease_holder_of kube-system plndr-svcs-lock)" ]' ||
  fail "nobody took the Services Lease within 15 s"

held_count() { lab_exec "$1" ip -o -4 addr show dev eth0 | grep -c ' inet 10\.202\.' || true; }
# holding_all: prints the node holding every address.
holding_all() {
  local n
  for n in $(lab_node_names); do
    if lab_kubevip_running "$n" && [ "$(held_count "$n")" -ge "$count" ]; then echo "$n"; return 0; fi
  done
  return 1
}

t_create=$(lab_now)
svc_py create --server "$KVK_API_ADDR:$KVK_API_PORT" --ca "$LAB_DIR/$KVK_DIR_NAME/ca.crt" \
  --token admin-token-0123456789 --count "$count" --network "$network" >"$LAB_DIR/created.txt"
t_created=$(lab_now)
log "created $count Services in $(awk -v a="$t_create" -v b="$t_created" 'BEGIN { printf "%.1f", b - a }') s"
wait_until 300 holding_all >/dev/null ||
  fail "no node held all $count addresses within 300 s (node1 $(held_count node1), node2 $(held_count node2), node3 $(held_count node3))"
t_all_first=$(lab_now)
sleep 5  # let status writes and renewals settle
holder=$(kvk_lease_holder_of kube-system plndr-svcs-lock)
[ "$holder" = "$(holding_all)" ] || fail "the Lease names $holder, the addresses are on $(holding_all)"
victim_count=$(held_count "$holder")
log "$holder holds $victim_count addresses; killing its manager"

t_kill=$("$LAB_PYTHON" -S -c 'import os, sys, time
t = time.monotonic(); os.kill(int(sys.argv[1]), 9); print("%.6f" % t)' "${LAB_KV_PID[$holder]}")
lab_wait_exit "$holder" 5 || fail "$holder did not die"
wait_until 60 eval '[ -n "$(kvk_lease_holder_of kube-system plndr-svcs-lock)" ] && [ "$(kvk_lease_holder_of kube-system plndr-svcs-lock)" != "$holder" ]' ||
  fail "the Services Lease did not change hands within 60 s"
new_holder=$(kvk_lease_holder_of kube-system plndr-svcs-lock)
acquired=$(kvk_get_lease kube-system plndr-svcs-lock acquireTime)
wait_until 120 eval '[ "$(held_count "$new_holder")" -ge "$count" ]' ||
  fail "$new_holder holds $(held_count "$new_holder") of $count addresses 120 s after taking the Lease"
log_new=$LAB_DIR/addr_holders.$new_holder.tsv  # written line by line as it happens
first=$("$LAB_PYTHON" "$here/services.py" analyze --log "$log_new" --node "$new_holder" --since "$t_kill" --count 1)
all=$("$LAB_PYTHON" "$here/services.py" analyze --log "$log_new" --node "$new_holder" --since "$t_kill" --count "$count")
# cpu_s PID: user + system CPU seconds the process has used.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.1f", ($12 + $13) / hz }' "/proc/$1/stat" 2>/dev/null || echo "?"; }
diff_s() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%.3f", b - a }'; }

# Does the new holder keep them? Watch for 10 s more.
sleep 10
t_settled=$(lab_now)
read -r removals removed_addresses < <("$LAB_PYTHON" "$here/services.py" drops --log "$log_new" \
  --node "$new_holder" --since "${all:-$t_kill}" --until "$t_settled")

# A newly created Service, one at a time, on the holder's interface.
new_figures=()
for ((k = 0; k < new; k++)); do
  line=$(svc_py create --server "$KVK_API_ADDR:$KVK_API_PORT" --ca "$LAB_DIR/$KVK_DIR_NAME/ca.crt" \
    --token admin-token-0123456789 --count 1 --first "$((count + k))" --name-prefix new --network "$network")
  read -r t_post _ addr <<<"$line"
  if wait_until 30 lab_has_vip "$new_holder" "$addr"; then
    # The watcher may log it a moment later (after a lost event, at its next dump).
    t_seen=""
    wait_until 3 eval 't_seen=$("$LAB_PYTHON" "$here/services.py" analyze --log "$log_new" \
      --node "$new_holder" --since "$t_post" --address "$addr"); [ -n "$t_seen" ]' || true
    new_figures+=("$(diff_s "$t_post" "$t_seen")")
  else
    new_figures+=("none-in-30s")
  fi
  sleep 1
done

echo
echo "services bench: $count Services, one Lease for all, 3 managers (lease 5/3/1 s)"
echo "  created $count Services in $(diff_s "$t_create" "$t_created") s; all addresses held $(diff_s "$t_create" "$t_all_first") s after the first POST"
echo "  SIGKILL of $holder's manager (it held $victim_count addresses); new holder $new_holder"
t_acq=$("$LAB_PYTHON" "$here/services.py" mono --rfc3339 "$acquired")
echo "  Lease acquireTime $acquired: $(diff_s "$t_kill" "$t_acq") s after the SIGKILL"
echo "  first address on $new_holder: $(diff_s "$t_acq" "$first") s after acquireTime"
echo "  all $count addresses on $new_holder: $(diff_s "$t_acq" "$all") s after acquireTime ($(diff_s "$t_kill" "$all") s after the SIGKILL)"
echo "  after holding all: $removals removals of $removed_addresses addresses from $new_holder in the next $(diff_s "${all:-$t_kill}" "$t_settled") s"
echo "  a new Service's address on $new_holder, s from POST: ${new_figures[*]}"
median=$(printf '%s\n' "${new_figures[@]}" | grep -E '^[0-9.]+$' | sort -n | awk '{a[NR] = $1} END { if (NR) print a[int((NR + 1) / 2)]; else print "n/a" }')
echo "  median: $median s"
cpu=""
for n in $(lab_node_names); do
  lab_kubevip_running "$n" && cpu+=" $n $(cpu_s "${LAB_KV_PID[$n]}") s,"
done
echo "  CPU used over the run:$cpu test API server $(cpu_s "${LAB_BG_PID[apiserver]}") s; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
lab_pass
