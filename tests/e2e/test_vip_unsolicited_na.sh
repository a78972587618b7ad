#!/usr/bin/env bash
# For an IPv6 VIP a singleNode kube-vip sends unsolicited neighbour advertisements (RFC 4861
# 7.2.6): to ff02::1, hop limit 255, Override set, Solicited clear, target = VIP, with a target
# link-layer address option carrying the node's MAC.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "vip: unsolicited neighbour advertisements for an IPv6 VIP"
lab_require tcpdump tshark
lab_require_kubevip
lab_create 1
node_mac=$(lab_mac node1)
vip=$LAB_VIP6

lab_capture_start na client icmp6
lab_start_single node1 "$vip" --announce 1s --burst 3
sleep 2.5
pcap=$(lab_capture_stop na)
check "kube-vip still running" lab_kubevip_running node1

fields=(frame.time_relative eth.src ipv6.dst ipv6.hlim icmpv6.nd.na.flag.o icmpv6.nd.na.flag.s
  icmpv6.nd.na.target_address icmpv6.opt.type icmpv6.opt.linkaddr)
frames=$(lab_tshark "$pcap" "icmpv6.type == 136 && icmpv6.nd.na.target_address == $vip" "${fields[@]}")
log "NAs for $vip (time|eth.src|dst|hlim|O|S|target|option types|link-layer address):"
sed 's/^/    /' <<<"$frames" >&2
[ -n "$frames" ] || fail "the client saw no neighbour advertisement for $vip"

count=0
while IFS='|' read -r t esrc dst hlim oflag sflag target otype lladdr; do
  assert_eq "$node_mac" "$esrc" "NA at ${t}s: Ethernet source is node1"
  assert_eq ff02::1 "$dst" "NA at ${t}s: sent to all nodes"
  assert_eq 255 "$hlim" "NA at ${t}s: hop limit"
  assert_eq "$vip" "$target" "NA at ${t}s: target address is the VIP"
  assert_eq 1 "$oflag" "NA at ${t}s: Override flag"
  assert_eq 0 "$sflag" "NA at ${t}s: Solicited flag clear"
  assert_eq 2 "$otype" "NA at ${t}s: one option, the target link-layer address"
  assert_eq "$node_mac" "$lladdr" "NA at ${t}s: target link-layer address is node1's MAC"
  count=$((count + 1))
done <<<"$frames"
assert_le 3 "$count" "unsolicited NAs in 2.5 s with a burst of 3"

# The client's neighbour cache learns the VIP without asking: it has sent no NS for it.
solicits=$(lab_tshark "$pcap" "icmpv6.type == 135 && eth.src == $(lab_mac client)" frame.number | wc -l)
assert_eq 0 "$solicits" "neighbour solicitations sent by the client"

check "kube-vip stops on SIGTERM" lab_stop_kubevip node1 TERM 5
lab_pass
