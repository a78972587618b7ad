#!/usr/bin/env bash
# A SIGKILLed kube-vip cannot remove its VIP; the kernel must drop it when the lifetime runs out
# (1 s after the last renewal, documented as at most ~1.25 s). The bound here is generous (3 s):
# it proves the address expires, bench/vip_expiry measures how fast.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "vip: the kernel drops a SIGKILLed daemon's VIP (IPv4, IPv6)"
lab_require_kubevip
lab_create 1
lab_start_servers

for vip in "$LAB_VIP4" "$LAB_VIP6"; do
  lab_start_single node1 "$vip"
  sleep 1.5   # several renewals
  assert_eq node1 "$(lab_fetch "$vip")" "client reaches node1 through $vip"
  t0=$(_lab_us)
  lab_kill node1 KILL
  check "$vip gone within 3 s of SIGKILL" wait_while 3 lab_has_vip node1 "$vip"
  log "$vip disappeared $(((($(_lab_us) - t0)) / 1000)) ms after SIGKILL"
  check "$vip unreachable" _lab_not lab_fetch "$vip" 2>/dev/null
  lab_wait_exit node1 2 || fail "SIGKILLed kube-vip did not exit"
done

lab_pass
