#!/usr/bin/env bash
# Election through etcd: three nodes, each with an etcd member of a three-member TLS cluster
# (client certificates required), elect exactly one VIP holder; the election key in etcd names
# that holder; its log gives the key's mod revision as the fencing token; `kube-vip status`
# reports the etcd backend on every node, and the holder as the leader.
# timeout: 90
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/lib/etcd.sh"
lab_init "etcd: exactly one holder, named by the key in etcd"
lab_require_kubevip
lab_require curl
lab_create 3
lab_start_servers
etcd_start_cluster
etcd_wait_healthy 15 || fail "the etcd cluster was not healthy within 15 s"
log "etcd healthy; leader $(etcd_leader)"
lab_holders_start

etcd_start_kubevip_nodes --ttl 2s
wait_until 10 etcd_one_holder >/dev/null || fail "no single VIP holder within 10 s"
holder=$(etcd_one_holder)
log "$holder holds the VIP"
assert_eq "$holder" "$(lab_fetch "$LAB_VIP4")" "the client reaches the holder through the VIP"

# The key names the holder, and is bound to a lease of the configured TTL.
etcd_wait_key_holder "$holder" 3 || fail "the key $ETCD_KEY names '$(etcd_get "$ETCD_KEY")', the VIP is on $holder"
read -r key_value revision <<<"$(etcd_get "$ETCD_KEY")"
assert_eq "$holder" "$key_value" "the value of $ETCD_KEY"
log "$ETCD_KEY = $key_value at mod revision $revision"
ttl=$(etcd_lease_ttl "$ETCD_KEY")
check "the key is bound to a live lease of at most 2 s (ttl left: '$ttl')" \
  eval '[ -n "$ttl" ] && [ "$ttl" -ge 1 ] && [ "$ttl" -le 2 ]'

# The fencing token: the holder logs the key's mod revision when it takes the lead.
check "the holder logs the key's mod revision $revision as its fencing token" \
  grep -Eq "fencing token $revision\b" "$(lab_kv_log "$holder")"
check "the holder logs that it acquired the key through etcd" \
  grep -q "etcd election: acquired $ETCD_KEY as \"$holder\"" "$(lab_kv_log "$holder")"

# status NODE: the JSON status document; field DOC EXPR: a Python expression over it (d).
status() { "$KUBEVIP_BIN" status --socket "$(lab_kv_socket "$1")" --output json; }
field() { "$LAB_PYTHON" -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
for n in node1 node2 node3; do
  doc=$(status "$n") || fail "kube-vip status failed on $n"
  assert_eq etcd "$(field "$doc" 'd["mode"]')" "$n: mode"
  assert_eq etcd "$(field "$doc" 'd["election"]["backend"]')" "$n: election backend"
  assert_eq "$ETCD_KEY" "$(field "$doc" 'd["election"]["etcd"]["key"]')" "$n: the election key"
  assert_eq "$([ "$n" = "$holder" ] && echo True || echo False)" \
    "$(field "$doc" 'd["election"]["is_leader"]')" "$n: is_leader"
done
assert_eq "$revision" "$(field "$(status "$holder")" 'd["election"]["term"]')" \
  "the holder's status gives the fencing token"
# The same token as a metric, read from the client like a Prometheus server would.
metric=$(lab_exec client curl -s --max-time 2 "http://$(lab_ip4 "$holder"):2112/metrics" |
  awk '/^kube_vip_etcd_fencing_token[{ ]/ { print $NF }')
assert_eq "$revision" "$(awk '{ printf "%d", $1 }' <<<"$metric")" "kube_vip_etcd_fencing_token on $holder"
# The followers learn the holder from the key (they watch it).
for n in node1 node2 node3; do
  wait_until 3 eval '[ "$(field "$(status "$n")" "d[\"election\"][\"etcd\"][\"holder\"]")" = "$holder" ]' ||
    fail "$n reports '$(field "$(status "$n")" 'd["election"]["etcd"]')' as the key's holder, not $holder"
  wait_until 3 eval '[ "$(field "$(status "$n")" "d[\"election\"][\"leader\"]")" = "$holder" ]' ||
    fail "$n reports '$(field "$(status "$n")" 'd["election"]["leader"]')' as leader, not $holder"
  LAB_CHECKS=$((LAB_CHECKS + 1))
  log "ok: $n reports $holder as the leader"
done
text=$("$KUBEVIP_BIN" status --socket "$(lab_kv_socket "$holder")")
log "status on $holder:"$'\n'"$text"
assert_contains "$text" "mode etcd" "the text rendering names the etcd mode"
assert_contains "$text" "fencing token $revision" "the text rendering gives the fencing token"

# Steady state: over four lease periods nobody else takes the VIP and the key keeps its revision
# (the holder renews its lease, it never re-creates the key).
sleep 8
assert_eq "$holder" "$(lab_vip_holders)" "the only holder after 8 s"
assert_eq "$holder $revision" "$(etcd_get "$ETCD_KEY")" "the key and its revision after 8 s"
assert_eq "$holder" "$(lab_fetch "$LAB_VIP4")" "the client still reaches the holder"
for n in node1 node2 node3; do check "$n still running" lab_kubevip_running "$n"; done
report=$(lab_holders_check) || fail "two live nodes held the VIP at once: $report"
LAB_CHECKS=$((LAB_CHECKS + 1))
lab_pass
