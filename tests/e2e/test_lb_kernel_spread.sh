#!/usr/bin/env bash
# lb, kernel forwarding: a single node holds the VIP and its table `inet kube_vip` DNATs VIP:port
# over three backends. New connections spread over all of them; with sourceNat (the default) the
# backends see the VIP as the source, without it the client's; weights 3:1:1 share in proportion.
# A stopped backend leaves the table within the health check's fall x interval, after which no
# connection fails; with every backend down a connection is refused at once (TCP reset), and a
# backend that returns is used again.
# timeout: 90
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/lib/lb_kernel.sh"
lab_init "lb kernel: spread, source NAT, weights, a backend leaving and returning"
lab_require_kubevip
lab_create 4  # node1 runs kube-vip; node2..node4 are backends
for k in 2 3 4; do lbk_start_peer "node$k"; done
interval_ms=200

lab_write_config "$LAB_DIR/n1.yaml" --node 1 --single --extra "$(
  echo "loadBalancers:"
  echo "  - name: web"
  echo "    port: 80"
  echo "    forwarding: kernel"
  echo "    backends:"
  for k in 2 3 4; do lbk_backend_yaml $k; done
  lbk_health_yaml "$interval_ms"
  echo "  - name: weighted"
  echo "    port: 81"
  echo "    forwarding: kernel"
  echo "    backends:"
  lbk_backend_yaml 2 3
  lbk_backend_yaml 3
  lbk_backend_yaml 4
  lbk_health_yaml "$interval_ms"
  echo "  - name: direct"
  echo "    port: 82"
  echo "    forwarding: kernel"
  echo "    sourceNat: false"
  echo "    backends:"
  for k in 2 3 4; do lbk_backend_yaml $k; done
  lbk_health_yaml "$interval_ms"
)"
"$KUBEVIP_BIN" check -c "$LAB_DIR/n1.yaml" >/dev/null || fail "the configuration is refused: $(cat "$LAB_DIR/n1.yaml")"
lab_start_kubevip node1 "$LAB_DIR/n1.yaml"
wait_until 5 lab_has_vip node1 || fail "node1 never got the VIP"
lbk_wait_table node1
kvlog=$(lab_kv_log node1)
holder=$(lab_ip4 1) client=$(lab_ip4 client)

# Spread, and source NAT on by default: the backends see the VIP as the source.
answers=$(lbk_ask tcp "$LAB_VIP4" 80 60)
log "web: $(sort <<<"$answers" | uniq -c | tr -s ' \n' ' ')"
for k in 2 3 4; do
  assert_le 1 "$(lbk_count "node$k" "$answers")" "connections answered by node$k (of 60)"
done
check "every connection answered, from the VIP (sourceNat default)" \
  _lab_not grep -vxE "node[234] $LAB_VIP4" <<<"$answers"

# Weights 3:1:1 over 50 connections: round robin over weighted slots gives 30:10:10.
answers=$(lbk_ask tcp "$LAB_VIP4" 81 50)
log "weighted: $(sort <<<"$answers" | uniq -c | tr -s ' \n' ' ')"
n2=$(lbk_count node2 "$answers") n3=$(lbk_count node3 "$answers") n4=$(lbk_count node4 "$answers")
in_range() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
check "weight 3 gets about 3/5 (25-35 of 50): $n2" in_range "$n2" 25 35
check "weight 1 gets about 1/5 (5-15 of 50): $n3" in_range "$n3" 5 15
check "weight 1 gets about 1/5 (5-15 of 50): $n4" in_range "$n4" 5 15

# sourceNat: false keeps the client's address; the backends must route the client via the holder.
# (The holder's ICMP redirects, left on, go to the client about the backend's address, not to the
# backends: 12 sent, none received by a backend, when this was written.)
for k in 2 3 4; do lab_exec "node$k" ip route add "$client/32" via "$holder"; done
answers=$(lbk_ask tcp "$LAB_VIP4" 82 12)
log "direct: $(sort <<<"$answers" | uniq -c | tr -s ' \n' ' ')"
check "sourceNat false: every backend saw the client's address" \
  _lab_not grep -vxE "node[234] $client" <<<"$answers"
for k in 2 3 4; do lab_exec "node$k" ip route del "$client/32" via "$holder"; done

# node4's server stops: the active checks (no traffic) take it out of the table (of every
# balancer: all three check it at the same interval).
check "the table names node4 at first" lbk_table_names node1 "$(lab_ip4 4)"
lbk_stop_peer node4 KILL
t0=$(_lab_us)
wait_until 5 _lab_not lbk_table_names node1 "$(lab_ip4 4)" || fail "node4 never left the table"
gone_ms=$((($(_lab_us) - t0) / 1000))
log "node4 left the table after $gone_ms ms"
# fall (2) probes one interval apart, the last failing on the spot (reset), plus polling slack.
assert_le "$gone_ms" $((2 * interval_ms + 600)) "time for a stopped backend to leave the table (ms)"
answers=$(lbk_ask tcp "$LAB_VIP4" 80 30)
check "no connection fails once node4 left" _lab_not grep -vxE "node[23] $LAB_VIP4" <<<"$answers"

# Every backend down: new connections are refused (reset), not left to time out.
lbk_stop_peer node2 KILL
lbk_stop_peer node3 KILL
wait_until 5 _lab_not lbk_table_names node1 "$(lab_ip4 2)" || fail "node2 never left the table"
wait_until 5 _lab_not lbk_table_names node1 "$(lab_ip4 3)" || fail "node3 never left the table"
t0=$(_lab_us)
answers=$(lbk_ask tcp "$LAB_VIP4" 80 5)
refused_ms=$((($(_lab_us) - t0) / 1000))
assert_eq "refused refused refused refused refused" "$(tr '\n' ' ' <<<"$answers" | xargs)" \
  "no backend up: connections refused"
# 5 refusals, each a Python start plus one round trip; a timeout would take 1 s each.
assert_le "$refused_ms" 2500 "five refused connections (ms)"
check "the health check logged node2 down" grep -q "backend $(lab_ip4 2):$LBK_PORT is down" "$kvlog"

# node3 returns: after rise (2) good probes it is in the table and answers.
lbk_start_peer node3
t0=$(_lab_us)
wait_until 5 lbk_table_names node1 "$(lab_ip4 3)" || fail "node3 never came back into the table"
back_ms=$((($(_lab_us) - t0) / 1000))
log "node3 back in the table after $back_ms ms"
assert_le "$back_ms" $((2 * interval_ms + 600)) "time for a returning backend to be used (ms)"
answers=$(lbk_ask tcp "$LAB_VIP4" 80 6)
assert_eq 6 "$(lbk_count node3 "$answers")" "the returned backend answers every connection"
lab_pass "spread, source NAT on and off, weights, backends leaving and returning"
