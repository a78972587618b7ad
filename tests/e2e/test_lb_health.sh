#!/usr/bin/env bash
# lb: active health checks. A backend whose server is killed leaves the rotation within
# fall x interval (logged once), clients see no error after that, and it comes back after
# rise x interval once its server returns.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "lb: a dead backend leaves rotation within fall x interval and returns after rise"
lab_require_kubevip
lab_create 3
lab_start_servers
interval_ms=200 fall=2 rise=3

lab_write_config "$LAB_DIR/n1.yaml" --node 1 --single --extra "$(cat <<YAML
loadBalancers:
  - name: web
    type: tcp
    port: 9000
    bindToVip: true
    backends:
      - {address: $(lab_ip4 1), port: $LAB_SERVICE_PORT}
      - {address: $(lab_ip4 2), port: $LAB_SERVICE_PORT}
      - {address: $(lab_ip4 3), port: $LAB_SERVICE_PORT}
    healthCheck:
      interval: ${interval_ms}ms
      timeout: 100ms
      rise: $rise
      fall: $fall
YAML
)"
lab_start_kubevip node1 "$LAB_DIR/n1.yaml"
wait_until 5 lab_has_vip node1 || fail "node1 never got the VIP"
wait_until 5 _lab_listening node1 9000 || fail "nothing listens on port 9000"
kvlog=$(lab_kv_log node1)
backend3="$(lab_ip4 3):$LAB_SERVICE_PORT"

# Kill node3's server, send no traffic: only the active check can notice.
lab_bg_stop server.node3 KILL
t0=$(_lab_us)
wait_until 5 grep -q "backend $backend3 is down" "$kvlog" || fail "backend 3 never marked down"
down_ms=$((($(_lab_us) - t0) / 1000))
log "backend 3 marked down after ${down_ms} ms"
# fall probes one interval apart, the last one failing by its timeout at most, plus polling slack.
assert_le "$down_ms" $((fall * interval_ms + 100 + 300)) "time to mark down (ms)"
assert_eq 1 "$(grep -c "backend $backend3 is down" "$kvlog")" "down transition logged once"

for i in $(seq 1 20); do
  name=$(lab_fetch "$LAB_VIP4" 9000) || fail "request $i failed after backend 3 left the rotation"
  assert_ne node3 "$name" "request $i not sent to the dead backend"
done

lab_bg "server.node3" node3 "$LAB_PYTHON" "$LAB_TOOLS_DIR/node_server.py" --name node3 \
  --port "$LAB_SERVICE_PORT"
t1=$(_lab_us)
wait_until 5 grep -q "backend $backend3 is up" "$kvlog" || fail "backend 3 never came back"
up_ms=$((($(_lab_us) - t1) / 1000))
log "backend 3 back after ${up_ms} ms"
assert_le "$up_ms" $((rise * interval_ms + 400)) "time to come back (ms)"
declare -A seen=()
for i in $(seq 1 6); do
  name=$(lab_fetch "$LAB_VIP4" 9000) || fail "request $i failed after backend 3 returned"
  seen[$name]=1
done
check "backend 3 in rotation again" test -n "${seen[node3]:-}"
lab_pass
