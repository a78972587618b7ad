#!/usr/bin/env bash
# Reload without restart. A single node balances VIP:9000 over node2's server while a client
# connects through the VIP every 20 ms. `kube-vip reload` after adding node3 as a backend: not one
# connection fails, node3 starts answering, the VIP never leaves. Then files that must be refused
# change nothing: an invalid one (SIGHUP) and one that changes the VIP (`kube-vip reload`, exit
# status 1 and the reason); the log says so once each, and the balancer keeps serving.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "ops: reload adds a backend under load without a failure; bad files change nothing"
lab_require_kubevip
lab_create 3
lab_start_servers

config=$LAB_DIR/n1.yaml
# write_config BACKEND-NODES...: node1's configuration balancing over those nodes' servers.
write_config() {
  local backends="" n
  for n in "$@"; do backends+="      - {address: $(lab_ip4 "$n"), port: $LAB_SERVICE_PORT}"$'\n'; done
  lab_write_config "$config" --node 1 --single --extra "loadBalancers:
  - name: web
    type: tcp
    port: 9000
    backends:
${backends%$'\n'}
    healthCheck: {interval: 200ms, timeout: 100ms}"
}
write_config node2
lab_start_kubevip node1 "$config"
wait_until 5 lab_has_vip node1 || fail "node1 never got the VIP"
wait_until 5 _lab_listening node1 9000 || fail "nothing listens on port 9000"
assert_eq node2 "$(lab_fetch "$LAB_VIP4" 9000)" "the balancer forwards to node2"
kvlog=$(lab_kv_log node1)
socket=$(lab_kv_socket node1)

lab_prober_start "$LAB_VIP4" 9000
sleep 1
write_config node2 node3
out=$("$KUBEVIP_BIN" reload --socket "$socket") || fail "reload refused: $out"
log "kube-vip reload: $out"
assert_contains "$out" "backends +$(lab_ip4 3):$LAB_SERVICE_PORT" "the reload names the added backend"
check "node3 answers through the VIP after the reload" \
  wait_until 5 eval 'tail -n 50 "$LAB_DIR/prober.tsv" | grep -q " ok node3$"'
sleep 1
lab_bg_stop prober
attempts=$(wc -l <"$LAB_DIR/prober.tsv")
failures=$(grep -c " fail " "$LAB_DIR/prober.tsv" || true)
log "prober: $attempts connections through the VIP, $failures failed"
assert_eq 0 "$failures" "failed connections across the reload"
[ "$attempts" -ge 50 ] || fail "only $attempts connections were made"
assert_eq 1 "$(grep -c "reload (kube-vip reload) applied" "$kvlog")" "the reload is logged once"

# An invalid file by SIGHUP: refused, logged once with the reason, nothing changes.
cp "$config" "$LAB_DIR/good.yaml"
sed -i "s/renewInterval: 200ms/renewInterval: 900ms/" "$config"  # 2 x 900ms > the 1 s lifetime
kill -HUP "${LAB_KV_PID[node1]}"
check "the invalid file is refused, with the reason" \
  wait_until 5 grep -q "reload (SIGHUP) refused: .*renewInterval" "$kvlog"
assert_eq 1 "$(grep -c "reload (SIGHUP) refused" "$kvlog")" "refused once"

# A file that changes the VIP: refused by `kube-vip reload` with exit status 1.
sed "s/^vip: .*/vip: 10.201.0.99/" "$LAB_DIR/good.yaml" >"$config"
status=0
out=$("$KUBEVIP_BIN" reload --socket "$socket" 2>&1) || status=$?
log "kube-vip reload: $out (exit $status)"
assert_eq 1 "$status" "exit status of a refused reload"
assert_contains "$out" "cannot change vip" "the refusal names the key"
check "the VIP is where it was" lab_has_vip node1
lab_has_vip node1 10.201.0.99 && fail "the refused VIP was added"
answers=""
for _ in 1 2 3 4; do answers+="$(lab_fetch "$LAB_VIP4" 9000) "; done
assert_contains "$answers" "node2" "node2 still serves"
assert_contains "$answers" "node3" "node3 still serves"
doc=$("$KUBEVIP_BIN" status --socket "$socket" --output json)
assert_eq 2 "$("$LAB_PYTHON" -c 'import json,sys; print(len(json.loads(sys.argv[1])["balancers"][0]["backends"]))' "$doc")" \
  "status lists the two backends"
lab_pass
