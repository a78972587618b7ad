#!/usr/bin/env bash
# lb: a singleNode kube-vip holding the VIP load-balances TCP on VIP:9000 over three backends
# (the lab's node servers); clients through the VIP reach every backend, round robin; with
# bindToVip:true nothing listens on the node's own address.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "lb: clients through the VIP reach every backend"
lab_require_kubevip
lab_create 3
lab_start_servers

lab_write_config "$LAB_DIR/n1.yaml" --node 1 --single --extra "$(cat <<YAML
loadBalancers:
  - name: web
    type: tcp
    port: 9000
    bindToVip: true
    algorithm: roundrobin
    backends:
      - {address: $(lab_ip4 1), port: $LAB_SERVICE_PORT}
      - {address: $(lab_ip4 2), port: $LAB_SERVICE_PORT}
      - {address: $(lab_ip4 3), port: $LAB_SERVICE_PORT}
YAML
)"
lab_start_kubevip node1 "$LAB_DIR/n1.yaml"
wait_until 5 lab_has_vip node1 || fail "node1 never got the VIP"
wait_until 5 _lab_listening node1 9000 || fail "nothing listens on port 9000 on node1"

declare -A seen=()
answers=()
for i in $(seq 1 9); do
  name=$(lab_fetch "$LAB_VIP4" 9000) || fail "request $i through the VIP failed"
  answers+=("$name")
  seen[$name]=1
done
log "answers: ${answers[*]}"
assert_eq 3 "${#seen[@]}" "distinct backends reached through the VIP"
for n in node1 node2 node3; do check "$n reached" test -n "${seen[$n]:-}"; done
# Round robin: each backend answered exactly three of the nine connections.
for n in node1 node2 node3; do
  assert_eq 3 "$(printf '%s\n' "${answers[@]}" | grep -cx "$n")" "connections served by $n"
done
check "not listening on the node address (bindToVip)" \
  _lab_not lab_exec client "$LAB_PYTHON" "$LAB_TOOLS_DIR/prober.py" once \
  --target "$(lab_ip4 1)" --port 9000 --timeout 1
check "kube-vip stops on SIGTERM" lab_stop_kubevip node1 TERM 5
check "VIP listener closed with the daemon" \
  _lab_not lab_exec client "$LAB_PYTHON" "$LAB_TOOLS_DIR/prober.py" once \
  --target "$LAB_VIP4" --port 9000 --timeout 1
lab_pass
