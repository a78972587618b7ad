#!/usr/bin/env bash
# lb: a balancer whose port on the VIP is taken when the VIP is acquired (another program listens
# on *:9000) does not give up: the failure is logged once, the bind is retried while the VIP is
# held, and once the other program is gone the balancer listens on the VIP and forwards.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "lb: a VIP listener whose port is taken is retried until it is free"
lab_require_kubevip
lab_create 3
lab_start_servers
readonly PORT=9000

lab_bg squatter node1 "$LAB_PYTHON" "$LAB_TOOLS_DIR/node_server.py" --name squatter --port "$PORT"
wait_until 5 _lab_listening node1 "$PORT" || fail "the squatter did not start"

lab_write_config "$LAB_DIR/n1.yaml" --node 1 --single --extra "$(cat <<YAML
loadBalancers:
  - name: web
    type: tcp
    port: $PORT
    bindToVip: true
    backends:
      - {address: $(lab_ip4 2), port: $LAB_SERVICE_PORT}
      - {address: $(lab_ip4 3), port: $LAB_SERVICE_PORT}
YAML
)"
lab_start_kubevip node1 "$LAB_DIR/n1.yaml"
wait_until 5 lab_has_vip node1 || fail "node1 never got the VIP"
kvlog=$(lab_kv_log node1)
wait_until 5 grep -q "cannot listen on the VIP" "$kvlog" ||
  fail "the failed bind was not logged"
assert_eq squatter "$(lab_fetch "$LAB_VIP4" "$PORT")" "who answers on VIP:$PORT while it is taken"
sleep 1.5  # several retries (100, 200, 400, 800 ms)
assert_eq 1 "$(grep -c "cannot listen on the VIP" "$kvlog")" "log lines for the failing binds"

lab_bg_stop squatter
# The retries double up to 2 s: the balancer must listen within that after the port is free.
wait_until 4 eval 'case "$(lab_fetch "$LAB_VIP4" "$PORT" 2>/dev/null)" in node2|node3) ;; *) false ;; esac' ||
  fail "the balancer did not take over VIP:$PORT after it was freed"
check "the end of the episode is logged" grep -q "lb web: listening on the VIP after" "$kvlog"
check "kube-vip stops on SIGTERM" lab_stop_kubevip node1 TERM 5
lab_pass
