#!/usr/bin/env bash
# The cluster with an IPv6 VIP: one holder, reached by the client; after the leader's SIGKILL the
# new leader probes with DAD neighbour solicitations (answered by the killed leader's kernel until
# the address expires) and only then adds the VIP, so two live nodes never hold it at once.
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "cluster: IPv6 VIP, election and leader SIGKILL"
lab_require tcpdump tshark
lab_require_kubevip
lab_create 3
lab_start_servers
vip=$LAB_VIP6
lab_holders_start "$vip"

lab_start_cluster --vip "$vip"
lab_wait_leader "$vip"
old=$LAB_LEADER
assert_eq 1 "$(wc -w <<<"$old")" "number of VIP holders ($old)"
assert_eq "$old" "$(lab_fetch "$vip")" "client reaches the leader through $vip"

# Either follower may win the election: capture on both (the probes are what it sends).
for n in $(lab_node_names | grep -vx "$old"); do lab_capture_start "ndp.$n" "$n" icmp6; done
lab_prober_start "$vip"
sleep 0.3
t=$(lab_now)
lab_kill "$old" KILL
check "another node holds $vip within 4 s" \
  wait_until 4 eval 'h=$(lab_vip_holders "$vip"); [ -n "$h" ] && [ "$h" != "$old" ]'
new=$(lab_vip_holders "$vip")
assert_eq 1 "$(wc -w <<<"$new")" "number of VIP holders ($new)"
check "the prober reaches $new" wait_until 2 eval '[ "$(tail -n1 "$LAB_DIR/prober.tsv" | cut -d" " -f4)" = "$new" ]'
report=$(lab_prober_analyze "$t")
log "prober: $report"
assert_le "$(json_get "$report" takeover_s)" 2.5 "takeover after SIGKILL (s)"
assert_eq "$new" "$(lab_fetch "$vip")" "client reaches the new leader"
for n in $(lab_node_names | grep -vx "$old"); do
  pcap=$(lab_capture_stop "ndp.$n")
  [ "$n" = "$new" ] && new_pcap=$pcap
done
pcap=$new_pcap
# DAD probes: neighbour solicitations for the VIP from the unspecified address.
probes=$(lab_tshark "$pcap" "icmpv6.type == 135 && ipv6.src == :: && icmpv6.nd.ns.target_address == $vip && eth.src == $(lab_mac "$new")" frame.number | wc -l)
check "the new leader probed with DAD neighbour solicitations ($probes seen)" [ "$probes" -ge 3 ]
lab_wait_exit "$old" 2 || fail "SIGKILLed kube-vip on $old did not exit"
check "never two live holders" lab_holders_check
lab_pass
