#!/usr/bin/env bash
# Someone deletes the VIP (`ip addr del`): kube-vip puts it back and announces it again at once
# (not only at the next periodic announcement, which is set 30 s away here).
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "vip: a VIP deleted by someone else is re-added and re-announced"
lab_require tcpdump tshark
lab_require_kubevip
lab_create 1
lab_start_servers
node_mac=$(lab_mac node1)

for vip in "$LAB_VIP4" "$LAB_VIP6"; do
  if [[ $vip == *:* ]]; then
    plen=128 filter=icmp6
    announced="icmpv6.type == 136 && icmpv6.nd.na.target_address == $vip && eth.src == $node_mac"
  else
    plen=32 filter=arp
    announced="arp.src.proto_ipv4 == $vip && arp.dst.proto_ipv4 == $vip && eth.src == $node_mac"
  fi
  lab_start_single node1 "$vip" --announce 30s
  sleep 1    # past the acquisition burst
  lab_capture_start "readd$filter" client "$filter"
  t_del=$(date +%s.%N)
  lab_exec node1 ip addr del "$vip/$plen" dev eth0
  check "$vip put back within 2 s" wait_until 2 lab_has_vip node1 "$vip"
  sleep 0.5
  pcap=$(lab_capture_stop "readd$filter")
  times=$(lab_tshark "$pcap" "$announced" frame.time_epoch)
  after=$(awk -v t="$t_del" '$1 > t' <<<"$times" | wc -l)
  assert_le 1 "$after" "announcements of $vip after the deletion"
  assert_eq node1 "$(lab_fetch "$vip")" "client reaches node1 through $vip"
  line=$(lab_vip_addr_line node1 "$vip") || fail "$vip not on node1 any more"
  assert_contains "$line" "preferred_lft 0sec" "re-added $vip has preferred lifetime 0"
  check "kube-vip still running" lab_kubevip_running node1
  check "kube-vip stops on SIGTERM" lab_stop_kubevip node1 TERM 5
done

lab_pass
