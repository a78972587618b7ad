#!/usr/bin/env bash
# lb, kernel forwarding over IPv6: an IPv6 VIP and IPv6 backends. TCP through the VIP spreads
# over both backends, which see the VIP as the source (sourceNat); UDP works too; a
# stopped backend leaves the table and the other answers everything.
# timeout: 60
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/lib/lb_kernel.sh"
lab_init "lb kernel: IPv6 VIP and backends"
lab_require_kubevip
lab_create 3  # node1 runs kube-vip; node2 and node3 are backends
for k in 2 3; do lbk_start_peer "node$k"; done

lab_write_config "$LAB_DIR/n1.yaml" --node 1 --single --vip "$LAB_VIP6" --extra "$(
  echo "loadBalancers:"
  echo "  - name: web6"
  echo "    port: 80"
  echo "    forwarding: kernel"
  echo "    backends:"
  for k in 2 3; do lbk_backend_yaml $k 1 6; done
  lbk_health_yaml 200
  echo "  - name: dns6"
  echo "    type: udp"
  echo "    port: 53"
  echo "    forwarding: kernel"
  echo "    backends:"
  for k in 2 3; do lbk_backend_yaml $k 1 6; done
  lbk_health_yaml 200
)"
"$KUBEVIP_BIN" check -c "$LAB_DIR/n1.yaml" >/dev/null || fail "the configuration is refused"
lab_start_kubevip node1 "$LAB_DIR/n1.yaml"
wait_until 5 lab_has_vip node1 "$LAB_VIP6" || fail "node1 never got the IPv6 VIP"
lbk_wait_table node1

answers=$(lbk_ask tcp "$LAB_VIP6" 80 30)
log "web6: $(sort <<<"$answers" | uniq -c | tr -s ' \n' ' ')"
check "every connection answered, from the VIP (sourceNat)" \
  _lab_not grep -vxE "node[23] $LAB_VIP6" <<<"$answers"
assert_le 5 "$(lbk_count node2 "$answers")" "connections answered by node2 (of 30)"
assert_le 5 "$(lbk_count node3 "$answers")" "connections answered by node3 (of 30)"

answers=$(lbk_ask udp "$LAB_VIP6" 53 20 client --source-port 20000)
check "every UDP request answered through the VIP" \
  _lab_not grep -vxE "node[23] $LAB_VIP6" <<<"$answers"

lbk_stop_peer node3 KILL
wait_until 5 _lab_not lbk_table_names node1 "$(lab_ip6 3)" || fail "node3 never left the table"
answers=$(lbk_ask tcp "$LAB_VIP6" 80 10)
assert_eq 10 "$(lbk_count node2 "$answers")" "connections answered by node2 once node3 left (of 10)"
lab_pass "IPv6 TCP and UDP through the VIP; a stopped backend left"
