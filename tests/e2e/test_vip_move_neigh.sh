#!/usr/bin/env bash
# When the VIP moves from node1's kube-vip to node2's (stop node1, start node2 singleNode), the
# client's neighbour entry for the VIP changes to node2's MAC by node2's announcements alone: the
# client sends no ARP request (IPv4) or neighbour solicitation (IPv6) in between.
# timeout: 180
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "vip: client neighbour entry follows the VIP from node1 to node2 (IPv4, IPv6)"
lab_require tcpdump tshark
lab_require_kubevip
lab_create 2
lab_start_servers
client_mac=$(lab_mac client)

neigh_is() { [ "$(lab_neigh_mac client "$1")" = "$2" ]; }

for vip in "$LAB_VIP4" "$LAB_VIP6"; do
  if [[ $vip == *:* ]]; then
    filter=icmp6
    asked="icmpv6.type == 135 && eth.src == $client_mac"
  else
    filter=arp
    asked="arp.opcode == 1 && eth.src == $client_mac"
  fi
  # Long announceInterval: node2's acquisition burst alone must do it.
  lab_start_single node1 "$vip" --announce 30s
  assert_eq node1 "$(lab_fetch "$vip")" "client reaches node1 through $vip"
  assert_eq "$(lab_mac node1)" "$(lab_neigh_mac client "$vip")" "client's entry for $vip is node1's MAC"

  lab_capture_start "move$filter" client "$filter"
  check "node1's kube-vip stops" lab_stop_kubevip node1 TERM 5
  check "node1 released $vip" _lab_not lab_has_vip node1 "$vip"
  lab_start_single node2 "$vip" --announce 30s
  check "client's entry for $vip changes to node2's MAC" wait_until 3 neigh_is "$vip" "$(lab_mac node2)"
  pcap=$(lab_capture_stop "move$filter")
  lab_exec client ip neigh show "$vip" dev eth0 >&2
  assert_eq 0 "$(lab_tshark "$pcap" "$asked" frame.number | wc -l)" \
    "resolution requests the client sent for $vip while it moved"
  assert_eq node2 "$(lab_fetch "$vip")" "client reaches node2 through $vip"
  check "node2's kube-vip stops" lab_stop_kubevip node2 TERM 5
done

lab_pass
