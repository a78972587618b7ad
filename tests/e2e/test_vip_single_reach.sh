#!/usr/bin/env bash
# A singleNode kube-vip adds the VIP to its interface (/32 resp. /128, valid lifetime of 1 s kept
# alive by renewals, preferred lifetime 0, IPv6 without DAD), and the client reaches the node's
# TCP server through the VIP, for IPv4 and for IPv6.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "vip: singleNode holds the VIP, client reaches the node through it (IPv4, IPv6)"
lab_require_kubevip
lab_create 1
lab_start_servers

for vip in "$LAB_VIP4" "$LAB_VIP6"; do
  if [[ $vip == *:* ]]; then plen=128; else plen=32; fi
  lab_start_single node1 "$vip"
  line=$(lab_vip_addr_line node1 "$vip")
  log "address: $line"
  assert_eq 1 "$(wc -l <<<"$line")" "exactly one $vip address on node1"
  assert_contains "$line" "$vip/$plen " "$vip is a /$plen"
  assert_contains "$line" "eth0" "$vip is on the configured interface"
  assert_contains "$line" "preferred_lft 0sec" "$vip has preferred lifetime 0"
  [[ $line =~ valid_lft\ ([0-9]+)sec ]] || fail "$vip has no finite valid lifetime: $line"
  assert_le "${BASH_REMATCH[1]}" 1 "$vip valid lifetime (s)"
  [ $plen = 128 ] && assert_contains "$line" "nodad" "$vip added without duplicate address detection"
  assert_eq node1 "$(lab_fetch "$vip")" "client reaches node1's server through $vip"

  # Three lifetimes later the address must still be there: the daemon renews it.
  sleep 3
  check "$vip still held after 3 s (lifetime renewed)" lab_has_vip node1 "$vip"
  assert_eq node1 "$(lab_fetch "$vip")" "client still reaches node1 through $vip"
  check "kube-vip still running" lab_kubevip_running node1
  check "kube-vip stops on SIGTERM" lab_stop_kubevip node1 TERM 5
done

lab_pass
