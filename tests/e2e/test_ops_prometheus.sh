#!/usr/bin/env bash
# A real Prometheus server (Debian's) in the client namespace scrapes the three nodes' /metrics
# every second. Read back through its HTTP API: kube_vip_is_leader sums to 1 over the cluster,
# before and after the leader is killed, and the survivors' leader-transition counters went up.
# The scraped text passes `promtool check metrics`.
# timeout: 180
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "ops: Prometheus scrapes the cluster; one leader; transitions counted on failover"
lab_require_kubevip
lab_require prometheus promtool curl
lab_create 3
lab_holders_start
lab_start_cluster --extra "prometheusServer: ':2112'"
lab_wait_leader
leader=$LAB_LEADER

# The scraped text is what Prometheus's own checker accepts.
scrape=$(lab_exec client curl -sf --max-time 3 "http://$(lab_ip4 1):2112/metrics") ||
  fail "no /metrics on node1"
lint=$(promtool check metrics <<<"$scrape" 2>&1) || fail "promtool check metrics: $lint"
log "promtool check metrics: ok${lint:+ ($lint)}"
assert_contains "$scrape" "kube_vip_build_info{version=" "build info exported"
assert_contains "$scrape" "kube_vip_vip_state{vip=\"$LAB_VIP4\",state=\"idle\"}" "VIP state exported"

prom_dir=$LAB_DIR/prometheus
mkdir -p "$prom_dir/data"
targets=""
for n in node1 node2 node3; do targets+="'$(lab_ip4 "$n"):2112', "; done
cat >"$prom_dir/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: kube-vip
    static_configs:
      - targets: [${targets%, }]
YAML
lab_bg prometheus client prometheus --config.file="$prom_dir/prometheus.yml" \
  --storage.tsdb.path="$prom_dir/data" --web.listen-address=127.0.0.1:9090 --log.level=warn

# query EXPR: the value of an instant query's single result ("" when none).
query() {
  lab_exec client curl -s --max-time 3 --get --data-urlencode "query=$1" \
    http://127.0.0.1:9090/api/v1/query 2>/dev/null |
    "$LAB_PYTHON" -c 'import json,sys
try:
  r = json.load(sys.stdin)["data"]["result"]
  print(r[0]["value"][1] if len(r) == 1 else "")
except Exception: print("")'
}
instance_of() { echo "$(lab_ip4 "$1"):2112"; }

check "Prometheus sees all three nodes up" \
  wait_until 20 eval '[ "$(query "sum(up{job=\"kube-vip\"})")" = 3 ]'
check "kube_vip_is_leader sums to 1 over the cluster" \
  wait_until 5 eval '[ "$(query "sum(kube_vip_is_leader)")" = 1 ]'
assert_eq 1 "$(query "kube_vip_is_leader{instance=\"$(instance_of "$leader")\"}")" \
  "the leader's own kube_vip_is_leader"
survivors=()
declare -A before
for n in node1 node2 node3; do
  [ "$n" = "$leader" ] && continue
  survivors+=("$n")
  before[$n]=$(query "kube_vip_leader_election_transitions_total{instance=\"$(instance_of "$n")\"}")
  [ -n "${before[$n]}" ] || fail "no transitions counter for $n"
done
log "transitions before the failover: ${survivors[0]}=${before[${survivors[0]}]} ${survivors[1]}=${before[${survivors[1]}]}"

lab_kill "$leader" KILL
check "another node holds the VIP" \
  wait_until 5 eval 'new=$(lab_vip_holders); [ "$(wc -w <<<"$new")" = 1 ] && [ "$new" != "$leader" ]'
check "Prometheus sees the killed node down" \
  wait_until 10 eval '[ "$(query "up{instance=\"$(instance_of "$leader")\"}")" = 0 ]'
check "kube_vip_is_leader sums to 1 again, on the new leader" \
  wait_until 10 eval '[ "$(query "sum(kube_vip_is_leader)")" = 1 ] &&
    [ "$(query "kube_vip_is_leader{instance=\"$(instance_of "$new")\"}")" = 1 ]'
for n in "${survivors[@]}"; do
  check "$n: the transitions counter went up" wait_until 5 eval \
    '[ "$(query "kube_vip_leader_election_transitions_total{instance=\"$(instance_of "$n")\"} > ${before[$n]}")" != "" ]'
done
# The new leader adds the VIP only once the killed one's address has expired (up to ~1.25 s), and
# the metric reaches Prometheus within a tick (0.5 s) and a scrape (1 s) after that.
check "kube_vip_vip_held on the new leader" \
  wait_until 5 eval '[ "$(query "kube_vip_vip_held{instance=\"$(instance_of "$new")\"}")" = 1 ]'

check "never two live holders" lab_holders_check
lab_pass
