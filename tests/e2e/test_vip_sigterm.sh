#!/usr/bin/env bash
# SIGTERM and SIGINT: kube-vip stops announcing, removes the VIP and exits 0 within 1 s; the VIP
# is gone the moment the process has exited (not left to expire), so the client cannot reach it.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "vip: SIGTERM/SIGINT remove the VIP and exit 0 within 1 s"
lab_require tcpdump tshark
lab_require_kubevip
lab_create 1
lab_start_servers

for case in "TERM $LAB_VIP4" "INT $LAB_VIP4" "TERM $LAB_VIP6"; do
  read -r sig vip <<<"$case"
  lab_start_single node1 "$vip"
  assert_eq node1 "$(lab_fetch "$vip")" "client reaches node1 through $vip"
  sleep 0.5
  lab_capture_start "stop$sig" client arp or icmp6
  lab_stop_kubevip node1 "$sig" 3 || fail "kube-vip still running 3 s after SIG$sig"
  t_exit=$(date +%s.%N)
  check "$vip gone as soon as kube-vip exited (SIG$sig)" _lab_not lab_has_vip node1 "$vip"
  assert_eq 0 "$LAB_EXIT_CODE" "exit status after SIG$sig"
  assert_le "$LAB_EXIT_SECONDS" 1.0 "seconds from SIG$sig to exit"
  check "$vip unreachable after SIG$sig" _lab_not lab_fetch "$vip" 2>/dev/null
  pcap=$(lab_capture_stop "stop$sig")
  # Nothing announced after the exit: the last announcement precedes it.
  late=$(lab_tshark "$pcap" "(arp.src.proto_ipv4 == $LAB_VIP4 || icmpv6.nd.na.target_address == $LAB_VIP6) && eth.src == $(lab_mac node1)" frame.time_epoch |
    awk -v t="$t_exit" '$1 > t' | wc -l)
  assert_eq 0 "$late" "announcements of $vip after the exit"
done

lab_pass
