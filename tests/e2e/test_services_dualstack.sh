#!/usr/bin/env bash
# Services mode, dual stack: a Service with ipFamilyPolicy RequireDualStack gets one IPv4 and one
# IPv6 address from the ConfigMap's pools (range-global and cidr-global), both are held by the
# holder of the Services Lease and announced, IPv4 with gratuitous ARP and IPv6 with unsolicited
# neighbour advertisements; the status lists both; SIGKILL of the holder moves both to one other
# node; the many-address checker runs throughout.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/apiserver/incluster.sh"

lab_init "services: a dual-stack Service, announced with ARP and NDP, moved as one"
lab_require kubectl tcpdump tshark
lab_require_kubevip
lab_create 3
v6_pool=fd00:201::200/125  # fd00:201::200 .. fd00:201::207
kvk_start_apiserver
kvk_ipam_configmap range-global="$KVK_SVC_RANGE" cidr-global="$v6_pool"
for n in node1 node2 node3; do kvk_node "$n"; done
kvk_addr_holders_start "$KVK_SVC_CIDR,$v6_pool"
for n in node1 node2 node3; do kvk_start_svc_manager "$n"; done
wait_until 15 eval '[ -n "$(kvk_lease_holder_of kube-system plndr-svcs-lock)" ]' ||
  fail "nobody took the Services Lease within 15 s"
holder=$(kvk_lease_holder_of kube-system plndr-svcs-lock)

lab_capture_start announce client "arp or icmp6"
printf '%s\n' "apiVersion: v1" "kind: Service" "metadata:" "  name: dual" "  namespace: default" \
  "spec:" "  type: LoadBalancer" "  ipFamilyPolicy: RequireDualStack" \
  "  ipFamilies: [IPv4, IPv6]" "  selector: {app: dual}" "  ports:" \
  "  - {name: http, port: 80, targetPort: 8080, protocol: TCP}" | kvk_apply >/dev/null
wait_until 10 kvk_svc_has_address dual >/dev/null || fail "dual was given no address within 10 s"
addresses=$(kvk_svc_address dual)
assert_eq "${KVK_SVC_RANGE%-*},fd00:201::200" "$addresses" \
  "dual got the lowest address of each family's pool, IPv4 first"
v4=${addresses%,*} v6=${addresses#*,}
wait_until 10 eval '[ "$(kvk_holders_of "$v4")" = "$holder" ] && [ "$(kvk_holders_of "$v6")" = "$holder" ]' ||
  fail "$v4 is on [$(kvk_holders_of "$v4")] and $v6 on [$(kvk_holders_of "$v6")], not both on $holder"
wait_until 5 eval '[ "$(kvk_svc_ingress dual)" = "$v4 VIP 80/TCP;$v6 VIP 80/TCP;" ]' ||
  fail "dual's status.loadBalancer.ingress is '$(kvk_svc_ingress dual)'"
sleep 0.5  # the acquisition bursts
pcap=$(lab_capture_stop announce)
garp=$(lab_tshark "$pcap" "arp && eth.src == $(lab_mac "$holder") && arp.src.proto_ipv4 == $v4 && arp.dst.proto_ipv4 == $v4" frame.number)
check "the client received gratuitous ARP for $v4 from $holder" test -n "$garp"
na=$(lab_tshark "$pcap" "icmpv6.type == 136 && eth.src == $(lab_mac "$holder") && icmpv6.nd.na.target_address == $v6 && icmpv6.nd.na.flag.o == 1" frame.number)
check "the client received unsolicited neighbour advertisements for $v6 from $holder" test -n "$na"

t0=$(_lab_us)
lab_kill "$holder" KILL
lab_wait_exit "$holder" 5 || fail "$holder did not die"
wait_until 12 kvk_holder_is_not "$holder" "$v4" || fail "no other node holds $v4 within 12 s"
wait_until 3 kvk_holder_is_not "$holder" "$v6" || fail "no other node holds $v6"
took=$(kvk_elapsed "$t0")
new_holder=$(kvk_one_holder "$v4")
assert_eq "$new_holder" "$(kvk_one_holder "$v6")" "both addresses moved to one node"
log "$v4 and $v6 moved from $holder to $new_holder ${took}s after SIGKILL"

report=$(kvk_addr_holders_check) || fail "two live nodes held a Service address at once: $report"
echo "MEASURED services dual stack: both addresses moved ${took}s after SIGKILL"
lab_pass
