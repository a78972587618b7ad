#!/usr/bin/env bash
# A VIP left on the interface (by a crashed run, or by hand) with a permanent lifetime is
# replaced at start by one with the finite lifetime, so that it can no longer outlive kube-vip:
# after a SIGKILL it expires like any VIP of ours. (singleNode always leads; that a cluster
# follower removes such a leftover is test_vip_leftover_follower.sh.)
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "vip: a permanent leftover VIP is replaced by a finite one"
lab_require_kubevip
lab_create 1
lab_start_servers

for vip in "$LAB_VIP4" "$LAB_VIP6"; do
  if [[ $vip == *:* ]]; then plen=128; else plen=32; fi
  lab_exec node1 ip addr add "$vip/$plen" dev eth0 nodad 2>/dev/null ||
    lab_exec node1 ip addr add "$vip/$plen" dev eth0
  assert_contains "$(lab_vip_addr_line node1 "$vip")" "valid_lft forever" "leftover $vip is permanent"

  lab_write_config "$LAB_DIR/node1.yaml" --node 1 --single --vip "$vip"
  lab_start_kubevip node1 "$LAB_DIR/node1.yaml"
  finite() { [[ $(lab_vip_addr_line node1 "$vip") =~ valid_lft\ [0-9]+sec ]]; }
  check "leftover $vip replaced by a finite lifetime" wait_until 5 finite
  line=$(lab_vip_addr_line node1 "$vip")
  assert_eq 1 "$(wc -l <<<"$line")" "one $vip address on node1"
  assert_contains "$line" "preferred_lft 0sec" "$vip preferred lifetime 0"
  sleep 2
  check "$vip held (and finite) 2 s later" finite
  assert_eq node1 "$(lab_fetch "$vip")" "client reaches node1 through $vip"

  lab_kill node1 KILL
  check "$vip expires after SIGKILL (not permanent any more)" wait_while 3 lab_has_vip node1 "$vip"
  lab_wait_exit node1 2 || fail "SIGKILLed kube-vip did not exit"
done

lab_pass
