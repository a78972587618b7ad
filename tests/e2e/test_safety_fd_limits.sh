#!/usr/bin/env bash
# safety: kube-vip raises its soft descriptor limit to the hard one at start and logs both; it
# says, with the numbers, when the balancers' maxConnections cannot all fit beside the control
# plane's reserve (and runs, admitting what fits), and refuses to start when not one connection
# would fit.
# timeout: 60
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "safety: the descriptor limit is raised and checked at start"
lab_require_kubevip
lab_create 1
lab_start_servers

real_bin=$KUBEVIP_BIN
# with_limit SOFT HARD: KUBEVIP_BIN runs kube-vip under that RLIMIT_NOFILE.
with_limit() {
  cat >"$LAB_DIR/kube-vip-$1-$2" <<WRAPPER
#!/bin/sh
exec prlimit --nofile=$1:$2 "$real_bin" "\$@"
WRAPPER
  chmod +x "$LAB_DIR/kube-vip-$1-$2"
  KUBEVIP_BIN=$LAB_DIR/kube-vip-$1-$2
}

lab_write_config "$LAB_DIR/n1.yaml" --node 1 --single --extra "$(cat <<YAML
loadBalancers:
  - name: web
    type: tcp
    port: 9000
    maxConnections: 10000
    backends:
      - {address: $(lab_ip4 1), port: $LAB_SERVICE_PORT}
YAML
)"

# Soft 128, hard 4096: raised to 4096; 10000 connections do not fit, the daemon says so and runs.
with_limit 128 4096
lab_start_kubevip node1 "$LAB_DIR/n1.yaml" "$LAB_DIR/raise.log"
wait_until 5 lab_has_vip node1 || fail "node1 never got the VIP"
pid=${LAB_KV_PID[node1]}
check "the soft limit is raised to the hard one" \
  grep -q "Max open files *4096 *4096" "/proc/$pid/limits"
check "both limits are logged" grep -q "descriptor limit: soft 4096 (was 128), hard 4096" \
  "$LAB_DIR/raise.log"
check "maxConnections that do not fit are named with the numbers" \
  grep -q "do not fit the descriptor limit: maxConnections 10000 (web) = 10000 connections need 20000 descriptors" \
  "$LAB_DIR/raise.log"
wait_until 5 _lab_listening node1 9000 || fail "the balancer does not listen"
assert_eq node1 "$(lab_fetch "$LAB_VIP4" 9000)" "a connection through the balancer"
check "kube-vip stops on SIGTERM" lab_stop_kubevip node1 TERM 5

# 64 descriptors are the control plane's reserve alone: no connection fits, start is refused.
with_limit 64 64
lab_start_kubevip node1 "$LAB_DIR/n1.yaml" "$LAB_DIR/low.log"
lab_wait_exit node1 5 || fail "kube-vip did not exit with a 64-descriptor limit"
assert_eq 1 "$LAB_EXIT_CODE" "exit status with a 64-descriptor limit"
check "the refusal names the problem" \
  grep -q "cannot start: the descriptor limit is too low for any load-balanced connection" \
  "$LAB_DIR/low.log"
lab_pass
