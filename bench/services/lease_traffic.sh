#!/usr/bin/env bash
# What one election per Service costs the API server: requests per second at N Services.
#
# Three `kube-vip manager` instances with svc_election=true (one Lease per Service, default
# timings 5/3/1 s) against the test API server, in a namespace lab. N Services of type
# LoadBalancer are created with their addresses in kube-vip.io/loadbalancerIPs; once every address
# is held by some node and the status writes have settled, the bench reads the API server's
# request counters (GET /_test/stats) twice, --window seconds apart, and prints the requests per
# second by verb and resource, the Lease requests per Service, and the threads of each manager.
# Prints figures only.
#
#   bench/services/lease_traffic.sh [--count N] [--window S]
# Needs root, python3, kubectl, curl, openssl; KUBEVIP_BIN (default bin/kube-vip).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$(cd "$(dirname "$0")" && pwd)
source "$repo/tests/e2e/lib/lab.sh"
source "$repo/tests/e2e/apiserver/incluster.sh"

count=1000 window=20
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count=$2; shift ;;
    --window) window=$2; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ "$count" -ge 1 ] && [ "$count" -le 1016 ] || { echo "--count must be 1..1016" >&2; exit 2; }

lab_init "bench services Lease traffic ($count Services, one Lease each)"
lab_require kubectl curl
lab_require_kubevip
network=10.202.0.0/22
lab_create 3
kvk_start_apiserver --state "" --event-log 100000 --service-cidr 10.96.0.0/20
for n in node1 node2 node3; do kvk_node "$n"; done
for n in $(lab_node_names); do
  kvk_start_svc_manager "$n" vip_loglevel=info svc_election=true
done
lab_exec client "$LAB_PYTHON" "$here/services.py" create --server "$KVK_API_ADDR:$KVK_API_PORT" \
  --ca "$LAB_DIR/$KVK_DIR_NAME/ca.crt" --token admin-token-0123456789 --count "$count" \
  --network "$network" >/dev/null
held_total() {
  local n total=0
  for n in $(lab_node_names); do
    total=$((total + $(lab_exec "$n" ip -o -4 addr show dev eth0 | grep -c ' inet 10\.202\.' || true)))
  done
  echo "$total"
}
wait_until 300 eval '[ "$(held_total)" -ge "$count" ]' ||
  fail "only $(held_total) of $count addresses held after 300 s"
log "all $count addresses held; settling for 10 s"
sleep 10
stats() { kvk_api GET /_test/stats | sed '$d'; }  # the body, without the status line
before=$(stats)
t0=$(lab_now)
sleep "$window"
after=$(stats)
t1=$(lab_now)
threads=""
for n in $(lab_node_names); do
  threads+=" $n:$(ls "/proc/${LAB_KV_PID[$n]}/task" | wc -l)"
done
echo
echo "Lease traffic: $count Services, one Lease each (svc_election=true), 3 managers, lease 5/3/1 s"
"$LAB_PYTHON" - "$before" "$after" "$t0" "$t1" "$count" <<'PY'
import json, sys
before = json.loads(sys.argv[1])["requests"]
after = json.loads(sys.argv[2])["requests"]
seconds = float(sys.argv[4]) - float(sys.argv[3])
count = int(sys.argv[5])
total = lease = 0.0
for key in sorted(after):
    rate = (after[key] - before.get(key, 0)) / seconds
    if rate <= 0:
        continue
    total += rate
    if key.endswith(" leases"):
        lease += rate
    print("  %-28s %8.1f /s" % (key, rate))
print("  %-28s %8.1f /s over %.1f s" % ("all requests", total, seconds))
print("  Lease requests per Service: %.2f /s" % (lease / count))
PY
echo "  threads per manager:$threads"
lab_pass
