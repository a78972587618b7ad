#!/usr/bin/env bash
# lb: a bindToVip:false balancer listens on every node of a two-node cluster, leader or not,
# on the node's own addresses, and forwards to the backend (node3's server).
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "lb: bindToVip:false serves on every node"
lab_require_kubevip
lab_create 3
lab_start_servers
lb_yaml=$(cat <<YAML
loadBalancers:
  - name: everywhere
    type: tcp
    port: 9001
    bindToVip: false
    backends:
      - {address: $(lab_ip4 3), port: $LAB_SERVICE_PORT}
YAML
)
for k in 1 2; do
  lab_write_config "$LAB_DIR/n$k.yaml" --node $k --nodes 2 --extra "$lb_yaml"
  lab_start_kubevip node$k "$LAB_DIR/n$k.yaml" "" --data-dir "$LAB_DIR/data$k"
done
wait_until 10 eval '[ -n "$(lab_vip_holders)" ]' || fail "no leader took the VIP"
for k in 1 2; do
  wait_until 5 _lab_listening node$k 9001 || fail "node$k does not listen on 9001"
  assert_eq node3 "$(lab_fetch "$(lab_ip4 $k)" 9001)" "node$k forwards to the backend"
done
assert_eq node3 "$(lab_fetch "$LAB_VIP4" 9001)" "the VIP (an address of the leader) too"
lab_pass
