#!/usr/bin/env bash
# lb: the daemon sizes its load-balancer workers by the CPUs it may use, not by the machine's:
# started under `taskset -c 0` it runs one worker (one SO_REUSEPORT listener on VIP:port) and
# says why in its log; loadBalancerWorkers overrides the count.
# timeout: 60
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "lb: one worker per usable CPU (affinity mask), or loadBalancerWorkers"
lab_require_kubevip
lab_require taskset ss
[ "$(nproc --all)" -ge 2 ] || log "only one CPU here: the pinned run cannot tell the counts apart"
lab_create 1
lab_start_servers

write_config() {  # write_config FILE [loadBalancerWorkers line]
  lab_write_config "$1" --node 1 --single --extra "$(cat <<YAML
${2:-}
loadBalancers:
  - name: web
    type: tcp
    port: 9000
    backends:
      - {address: $(lab_ip4 1), port: $LAB_SERVICE_PORT}
YAML
)"
}
listeners() { lab_exec node1 ss -Hltn "sport = :9000" | wc -l; }

# Everything this script starts from here on inherits the mask of CPU 0 alone.
taskset -cp 0 $$ >/dev/null

write_config "$LAB_DIR/auto.yaml"
lab_start_kubevip node1 "$LAB_DIR/auto.yaml" "$LAB_DIR/auto.log"
wait_until 5 lab_has_vip node1 || fail "node1 never got the VIP"
wait_until 5 _lab_listening node1 9000 || fail "nothing listens on port 9000"
assert_eq 1 "$(listeners)" "listeners on VIP:9000 (one per worker) when pinned to one CPU"
check "pinned daemon logs 1 worker and why" \
  grep -q "1 load-balancer worker: 1 usable CPU (affinity 1, cgroup limit" "$LAB_DIR/auto.log"
name=$(lab_fetch "$LAB_VIP4" 9000) || fail "no answer through the balancer"
assert_eq node1 "$name" "answer through the single worker"
lab_stop_kubevip node1

write_config "$LAB_DIR/configured.yaml" "loadBalancerWorkers: 2"
lab_start_kubevip node1 "$LAB_DIR/configured.yaml" "$LAB_DIR/configured.log"
wait_until 5 lab_has_vip node1 || fail "node1 never got the VIP again"
wait_until 5 _lab_listening node1 9000 || fail "nothing listens on port 9000 again"
check "configured count logged" \
  grep -q "2 load-balancer workers: configured (loadBalancerWorkers)" "$LAB_DIR/configured.log"
assert_eq 2 "$(listeners)" "listeners on VIP:9000 with loadBalancerWorkers: 2"
lab_pass
