#!/usr/bin/env bash
# The gratuitous ARP of a singleNode kube-vip, as the client receives it: RFC 5227 announcements
# (ARP request, sender IP = target IP = VIP, sender MAC = the node's, to broadcast) and the ARP
# reply form, sent as a burst on acquisition and again every announceInterval; probes for the
# VIP (sender IP 0.0.0.0) only before the first announcement.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "vip: gratuitous ARP fields seen by the client"
lab_require tcpdump tshark
lab_require_kubevip
lab_create 1
node_mac=$(lab_mac node1)
vip=$LAB_VIP4

lab_capture_start garp client arp
lab_start_single node1 "$vip" --announce 1s --burst 3
sleep 2.5   # the burst plus at least two repetitions 1 s apart
pcap=$(lab_capture_stop garp)
check "kube-vip still running" lab_kubevip_running node1

# Every ARP frame from the node claiming the VIP.
fields=(frame.time_relative arp.opcode eth.src eth.dst arp.src.hw_mac arp.src.proto_ipv4 arp.dst.proto_ipv4)
frames=$(lab_tshark "$pcap" "arp && eth.src == $node_mac" "${fields[@]}")
log "ARP frames from node1 (time|op|eth.src|eth.dst|sender MAC|sender IP|target IP):"
sed 's/^/    /' <<<"$frames" >&2
[ -n "$frames" ] || fail "the client saw no ARP frame from node1"

# Before taking the VIP the daemon may probe for it (RFC 5227 2.1.1: sender IP 0.0.0.0); every
# other frame must be an announcement of the VIP.
requests=0 replies=0 probes=0
while IFS='|' read -r t op esrc edst smac sip tip; do
  assert_eq "$node_mac" "$esrc" "frame at ${t}s: Ethernet source is node1"
  assert_eq "$node_mac" "$smac" "frame at ${t}s: ARP sender MAC is node1"
  assert_eq "$vip" "$tip" "frame at ${t}s: ARP target IP is the VIP"
  if [ "$sip" = 0.0.0.0 ]; then
    assert_eq 1 "$op" "frame at ${t}s: a probe is an ARP request"
    [ $((requests + replies)) -eq 0 ] || fail "frame at ${t}s: probe after the VIP was announced"
    probes=$((probes + 1))
    continue
  fi
  assert_eq ff:ff:ff:ff:ff:ff "$edst" "frame at ${t}s: sent to broadcast"
  assert_eq "$vip" "$sip" "frame at ${t}s: ARP sender IP is the VIP"
  case "$op" in
    1) requests=$((requests + 1)) ;;
    2) replies=$((replies + 1)) ;;
    *) fail "frame at ${t}s: unexpected ARP opcode $op" ;;
  esac
done <<<"$frames"
log "$probes probe(s), $requests announcement request(s), $replies reply-form announcement(s)"
assert_le 3 "$requests" "announcements (ARP requests) in 2.5 s with a burst of 3"
assert_le 1 "$replies" "ARP reply-form announcements"

# Repetition: announcements must span more than one announceInterval.
announcements=$(awk -F'|' -v v="$vip" '$6 == v' <<<"$frames")
first=$(head -n1 <<<"$announcements" | cut -d'|' -f1)
last=$(tail -n1 <<<"$announcements" | cut -d'|' -f1)
span=$(awk -v a="$first" -v b="$last" 'BEGIN { printf "%.3f", b - a }')
assert_le 0.9 "$span" "announcements repeated (first to last, s)"

check "kube-vip stops on SIGTERM" lab_stop_kubevip node1 TERM 5
lab_pass
