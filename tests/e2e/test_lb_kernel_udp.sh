#!/usr/bin/env bash
# lb, kernel forwarding of UDP: a DNS-style balancer (one datagram in, one out) over two backends.
# Every reply comes back from the VIP (the client's socket is connected to it, so a reply from a
# backend's own address would be dropped and show as a timeout), and requests from many source
# ports reach both backends. A backend whose socket closes answers the UDP health check with ICMP
# port unreachable: it leaves the table within fall x interval and the client's requests all go to
# the other one, including those of a client that keeps its source port, whose conntrack entry
# pinned it to the closed backend (the entry is deleted when the backend leaves); when it listens
# again it returns. ICMP host unreachable takes a backend out too.
# timeout: 60
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/lib/lb_kernel.sh"
lab_init "lb kernel: UDP over two backends, the UDP health check takes a closed one out"
lab_require_kubevip
lab_create 3  # node1 runs kube-vip; node2 and node3 are backends
for k in 2 3; do lbk_start_peer "node$k" --udp-only; done
interval_ms=200

lab_write_config "$LAB_DIR/n1.yaml" --node 1 --single --extra "$(
  echo "loadBalancers:"
  echo "  - name: dns"
  echo "    type: udp"
  echo "    port: 53"
  echo "    forwarding: kernel"
  echo "    backends:"
  for k in 2 3; do lbk_backend_yaml $k; done
  lbk_health_yaml "$interval_ms"
)"
"$KUBEVIP_BIN" check -c "$LAB_DIR/n1.yaml" >/dev/null || fail "the configuration is refused"
lab_start_kubevip node1 "$LAB_DIR/n1.yaml"
wait_until 5 lab_has_vip node1 || fail "node1 never got the VIP"
lbk_wait_table node1
kvlog=$(lab_kv_log node1)

# Each batch of requests uses source ports of its own: a port reused from an earlier batch would
# follow that flow's conntrack entry instead of being balanced afresh.
answers=$(lbk_ask udp "$LAB_VIP4" 53 40 client --source-port 20000)
log "dns: $(sort <<<"$answers" | uniq -c | tr -s ' \n' ' ')"
check "every request answered through the VIP, from the VIP" \
  _lab_not grep -vxE "node[23] $LAB_VIP4" <<<"$answers"
assert_le 5 "$(lbk_count node2 "$answers")" "requests answered by node2 (of 40)"
assert_le 5 "$(lbk_count node3 "$answers")" "requests answered by node3 (of 40)"
check "the health checks saw both backends up (no transition logged)" \
  _lab_not grep -q "backend .* is down" "$kvlog"

# A resolver that keeps its source port: conntrack pins its flow to one backend. Until it is pinned
# to node3 (the backend killed below), a new port each time.
pinned_port=""
for port in $(seq 30000 30019); do
  first=$(lbk_ask udp "$LAB_VIP4" 53 1 client --source-port "$port")
  if [ "${first%% *}" = node3 ]; then pinned_port=$port; break; fi
done
[ -n "$pinned_port" ] || fail "no source port of 20 was balanced to node3"
pinned=$(lbk_ask udp "$LAB_VIP4" 53 3 client --source-port "$pinned_port" --same-port | sort -u)
assert_eq "node3 $LAB_VIP4" "$pinned" "source port $pinned_port stays on node3"

# node3's socket closes (the process ends, the host stays): ICMP port unreachable to the probe.
lbk_stop_peer node3 KILL
t0=$(_lab_us)
wait_until 5 _lab_not lbk_table_names node1 "$(lab_ip4 node3)" ||
  fail "node3 never left the table"
gone_ms=$((($(_lab_us) - t0) / 1000))
log "node3 left the table after $gone_ms ms"
assert_le "$gone_ms" $((2 * interval_ms + 600)) "time for a closed UDP backend to leave the table (ms)"
check "logged as a failed check (an error, not silence)" \
  grep -q "backend $(lab_ip4 node3):$LBK_PORT is down (health check failed)" "$kvlog"
answers=$(lbk_ask udp "$LAB_VIP4" 53 20 client --source-port 21000)
assert_eq 20 "$(lbk_count node2 "$answers")" "requests answered by node2 once node3 left (of 20)"
# The pinned flow's entry went with node3 (deleted right after the table dropped it, so within
# one health-check interval of that): the same source port is balanced afresh, to node2.
deletion="lb dns: deleted [1-9][0-9]* UDP flows of backend $(lab_ip4 node3):$LBK_PORT, which left"
wait_until 1 grep -q "$deletion" "$kvlog" || true  # checked below, after the traffic
answers=$(lbk_ask udp "$LAB_VIP4" 53 3 client --source-port "$pinned_port" --same-port)
log "source port $pinned_port after node3 left: $(tr '\n' ' ' <<<"$answers")"
assert_eq 3 "$(lbk_count node2 "$answers")" "requests of source port $pinned_port answered by node2 (of 3)"
check "the deletion is logged" grep -q "$deletion" "$kvlog"

lbk_start_peer node3 --udp-only
wait_until 5 lbk_table_names node1 "$(lab_ip4 node3)" || fail "node3 never came back into the table"
answers=$(lbk_ask udp "$LAB_VIP4" 53 10 client --source-port 22000)
assert_le 1 "$(lbk_count node3 "$answers")" "requests answered by node3 after it returned (of 10)"

# A host that answers with ICMP host unreachable (a firewall's reject) is down too: only a socket
# with IP_RECVERR hears that "soft" error, without which the check would take silence for up.
lab_exec node2 nft add table inet probe_reject
lab_exec node2 nft add chain inet probe_reject input '{ type filter hook input priority 0; }'
lab_exec node2 nft add rule inet probe_reject input udp dport "$LBK_PORT" \
  reject with icmpx type host-unreachable
wait_until 5 _lab_not lbk_table_names node1 "$(lab_ip4 node2)" ||
  fail "node2, rejecting with host unreachable, never left the table"
check "logged as a failed check" \
  grep -q "backend $(lab_ip4 2):$LBK_PORT is down (health check failed)" "$kvlog"
lab_pass "UDP spread through the VIP; a closed backend left (its pinned flow moved) and returned; host unreachable is down"
