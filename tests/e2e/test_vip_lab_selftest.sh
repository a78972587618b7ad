#!/usr/bin/env bash
# The test ground itself, without kube-vip: plain `ip` and `arping` move the VIP and the lab's
# tools must see it. Proves that the holder checker finds an overlap (so a clean report from it
# means something), that the prober measures a takeover, that partitions cut traffic, that the
# client's neighbour entry follows a gratuitous ARP, and that stale-lab removal spares live labs.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "lab self-test (ip/arping, no kube-vip)"
lab_require tcpdump tshark arping
lab_create 2
lab_start_servers
lab_holders_start

vip=$LAB_VIP4
move_vip() {  # move_vip FROM TO [GAP]: delete on FROM, wait GAP, add on TO, announce from TO
  lab_exec "$1" ip addr del "$vip/32" dev eth0
  sleep "${3:-0}"
  lab_exec "$2" ip addr add "$vip/32" dev eth0
  lab_exec "$2" arping -q -U -c 1 -I eth0 -s "$vip" "$vip" || true
}

# --- reachability and neighbour entry follow the VIP --------------------------------------------
lab_exec node1 ip addr add "$vip/32" dev eth0
assert_eq node1 "$(lab_vip_holders)" "holders after adding the VIP on node1"
assert_eq node1 "$(lab_fetch "$vip")" "client reaches node1 through the VIP"
assert_eq "$(lab_mac node1)" "$(lab_neigh_mac client "$vip")" "client neighbour entry is node1's MAC"

lab_capture_start move client "arp"
move_vip node1 node2
check "client neighbour entry changes to node2's MAC" \
  wait_until 3 eval '[ "$(lab_neigh_mac client "$vip")" = "$(lab_mac node2)" ]'
pcap=$(lab_capture_stop move)
sent=$(lab_tshark "$pcap" "arp.opcode == 1 && eth.src == $(lab_mac client)" frame.number | wc -l)
assert_eq 0 "$sent" "ARP requests sent by the client while the VIP moved"
garps=$(lab_tshark "$pcap" "arp.isgratuitous && eth.src == $(lab_mac node2)" arp.src.proto_ipv4)
assert_contains "$garps" "$vip" "client captured node2's gratuitous ARP"
assert_eq node2 "$(lab_fetch "$vip")" "client reaches node2 through the VIP"

# --- the prober measures a takeover -------------------------------------------------------------
lab_prober_start "$vip"
sleep 0.3
event=$(lab_now)
move_vip node2 node1 0.4
wait_until 3 eval '[ "$(tail -n1 "$LAB_DIR/prober.tsv" | cut -d" " -f4)" = node1 ]' ||
  fail "prober never saw node1 answer"
sleep 0.2
report=$(lab_prober_analyze "$event")
log "prober: $report"
takeover=$(json_get "$report" takeover_s)
assert_eq node2 "$(json_get "$report" old_node)" "prober: old node"
assert_eq node1 "$(json_get "$report" new_node)" "prober: new node"
assert_le 0.35 "$takeover" "prober: takeover not before the 0.4 s the VIP was away"
assert_le "$takeover" 2.0 "prober: takeover measured"

# --- no overlap so far; then a deliberate one must be reported ----------------------------------
check "holder checker: no overlap while the VIP moved cleanly" lab_holders_check
lab_holders_start
lab_exec node2 ip addr add "$vip/32" dev eth0   # node1 still holds it: 0.3 s of overlap
sleep 0.3
lab_exec node2 ip addr del "$vip/32" dev eth0
if report=$(lab_holders_check 2>/dev/null); then fail "holder checker missed a 0.3 s overlap: $report"; fi
dur=$(json_get "$report" max_overlap_s)
assert_le 0.25 "$dur" "holder checker: overlap duration"
assert_le "$dur" 0.6 "holder checker: overlap duration"

# --- a node whose link is down does not count ---------------------------------------------------
lab_holders_start
lab_link_down node1
lab_exec node2 ip addr add "$vip/32" dev eth0
sleep 0.2
lab_exec node1 ip addr del "$vip/32" dev eth0
lab_link_up node1
lab_exec node2 arping -q -U -c 1 -I eth0 -s "$vip" "$vip" || true
check "holder checker: a downed node's VIP is no overlap" lab_holders_check

# --- partitions ---------------------------------------------------------------------------------
lab_partition node2 client
if lab_fetch "$vip" 2>/dev/null; then fail "client reached node2 across a partition"; fi
LAB_CHECKS=$((LAB_CHECKS + 1))
assert_eq node2 "$(lab_exec node1 "$LAB_PYTHON" "$LAB_TOOLS_DIR/prober.py" once --target "$vip" --port 8080)" \
  "node1 still reaches node2 (partition from the client only)"
lab_heal node2
assert_eq node2 "$(lab_fetch "$vip")" "client reaches node2 after healing"

# --- configuration generator --------------------------------------------------------------------
lab_write_config "$LAB_DIR/c2.yaml" --node 2 --nodes 3 --vip "$LAB_VIP6"
cfg=$(cat "$LAB_DIR/c2.yaml")
assert_contains "$cfg" "  id: node2" "config: local peer"
assert_contains "$cfg" "  - id: node3"$'\n'"    address: 10.201.0.3"$'\n'"    port: 10000" "config: peer node3"
assert_contains "$cfg" "singleNode: false" "config: cluster mode"
assert_contains "$cfg" "vip: $LAB_VIP6" "config: IPv6 VIP"
lab_write_config "$LAB_DIR/c1.yaml" --node 1 --single
assert_contains "$(cat "$LAB_DIR/c1.yaml")" "remotePeers: []"$'\n' "config: singleNode has no peers"

# --- stale labs: removed only when their creator is dead ----------------------------------------
sleep 0 & dead=$!; wait "$dead"
while [ -d "/proc/$dead" ]; do sleep 0 & dead=$!; wait "$dead"; done
stale="kv${dead}x0000-n1"
mine="${LAB_PREFIX%x*}xffff-n1"   # a "lab" of this (live) process with another suffix
ip netns add "$stale"
ip netns add "$mine"
LAB_NAMESPACES+=("$stale" "$mine")
lab_cleanup_stale
check "stale namespace of a dead creator removed" wait_while 2 eval 'ip netns list | grep -qw "$stale"'
check "namespace of a live creator kept" eval 'ip netns list | grep -qw "$mine"'

lab_pass
