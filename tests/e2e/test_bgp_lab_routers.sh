#!/usr/bin/env bash
# The BGP routers of the lab (lib/routers.sh) against each other, so that the tests which peer
# them with kube-vip rest on proven parts: GoBGP (r1) announces a /32 and a /128 with communities
# and large communities to BIRD (r2), FRR (r3) and GoBGP (r4) over IPv4 and IPv6 sessions (the
# IPv4 ones with a TCP MD5 password, RFC 2385); each router must show the route with r1's next
# hop and the communities, a withdrawal, sessions that are not Established, and after r1 is
# SIGKILLed, the route kept as stale by Graceful Restart (RFC 4724 §4.2) until r1 is back.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/lib/routers.sh"
lab_init "bgp lab: BIRD, FRR and GoBGP peer with each other"
lab_require bird birdc vtysh gobgpd gobgp /usr/lib/frr/zebra /usr/lib/frr/bgpd
lab_create 1

PREFIX4=10.201.0.100/32
PREFIX6=fd00:201::100/128
NOWHERE=10.201.0.209   # a neighbour that never answers
receivers=(r2 r3 r4)
declare -A kind=([r2]=bird [r3]=frr [r4]=gobgp)

for r in r1 "${receivers[@]}"; do router_create "$r"; done
A4=$(router_ip4 r1)
A6=$(router_ip6 r1)

start_announcer() {
  local args=() r
  for r in "${receivers[@]}"; do
    args+=(--neighbor "$(router_ip4 "$r"),65000,password=secret,families=ipv4")
    args+=(--neighbor "$(router_ip6 "$r"),65000,families=ipv6")
  done
  router_start r1 gobgp --as 65010 --hold 3 --gr full --gr-time 120 "${args[@]}"
}
start_announcer
for r in "${receivers[@]}"; do
  router_start "$r" "${kind[$r]}" --as 65000 --hold 3 \
    --neighbor "$A4,65010,password=secret,families=ipv4" --neighbor "$A6,65010,families=ipv6" \
    --neighbor "$NOWHERE,65010"
done

sessions_established() {
  local r
  for r in "${receivers[@]}"; do
    router_established "$r" "$A4" && router_established "$r" "$A6" || return 1
  done
}
session_states() {
  local r
  for r in "${receivers[@]}"; do
    echo "$r: $A4 $(router_session_state "$r" "$A4" || echo "?"), $A6 $(router_session_state "$r" "$A6" || echo "?");"
  done
}
wait_until 30 sessions_established ||
  fail "IPv4 (MD5) and IPv6 sessions not all Established within 30 s: $(session_states)"
for r in "${receivers[@]}"; do
  state=$(router_session_state "$r" "$NOWHERE")
  assert_ne Established "$state" "$r (${kind[$r]}): state of a neighbour that never answers"
  check "$r: its state is an RFC 4271 name ($state)" grep -qxE 'Idle|Connect|Active|OpenSent|OpenConfirm' <<<"$state"
done

router_announce r1 "$PREFIX4" "$A4" 65010:100,65010:200 65010:1:2
router_announce r1 "$PREFIX6" "$A6" 65010:100 65010:1:2
for r in "${receivers[@]}"; do
  check "$r (${kind[$r]}) learns $PREFIX4 via $A4" wait_until 10 router_has_route "$r" "$PREFIX4" "$A4"
  check "$r (${kind[$r]}) learns $PREFIX6 via $A6" wait_until 10 router_has_route "$r" "$PREFIX6" "$A6"
  log "$r: $(router_route "$r" "$PREFIX4" | xargs)"
  assert_eq "$A4" "$(router_route_best "$r" "$PREFIX4")" "$r: best next hop of $PREFIX4"
  assert_eq "$A6" "$(router_route_best "$r" "$PREFIX6")" "$r: best next hop of $PREFIX6"
  assert_eq "65010:100 65010:200" "$(router_route_communities "$r" "$PREFIX4")" "$r: communities of $PREFIX4"
  assert_eq "65010:1:2" "$(router_route_large_communities "$r" "$PREFIX4")" "$r: large communities of $PREFIX4"
  assert_eq "65010:100" "$(router_route_communities "$r" "$PREFIX6")" "$r: communities of $PREFIX6"
  assert_eq "65010:1:2" "$(router_route_large_communities "$r" "$PREFIX6")" "$r: large communities of $PREFIX6"
  assert_eq "" "$(router_route_stale "$r" "$PREFIX4")" "$r: $PREFIX4 is not stale"
done

router_withdraw r1 "$PREFIX4"
for r in "${receivers[@]}"; do
  check "$r: $PREFIX4 withdrawn" wait_until 5 router_route_absent "$r" "$PREFIX4"
done
router_announce r1 "$PREFIX4" "$A4" 65010:100,65010:200 65010:1:2
for r in "${receivers[@]}"; do
  check "$r: $PREFIX4 back" wait_until 10 router_has_route "$r" "$PREFIX4" "$A4"
done

# Graceful Restart, receiving side: r1 dies without a word; its routes stay, marked stale.
router_stop r1 KILL
for r in "${receivers[@]}"; do
  check "$r: session with r1 no longer Established" wait_while 5 router_established "$r" "$A4"
done
sleep 1
for r in "${receivers[@]}"; do
  check "$r (${kind[$r]}) keeps $PREFIX4 via $A4 after r1 died" router_has_route "$r" "$PREFIX4" "$A4"
  log "$r: $(router_route "$r" "$PREFIX4" | xargs)"
done
for r in "${receivers[@]}"; do
  assert_eq stale "$(router_route_stale "$r" "$PREFIX4" "$A4")" "$r (${kind[$r]}): $PREFIX4 marked stale"
done

start_announcer
router_announce r1 "$PREFIX4" "$A4" 65010:100,65010:200 65010:1:2
wait_until 30 sessions_established || fail "sessions not Established again: $(session_states)"
for r in "${receivers[@]}"; do
  check "$r: $PREFIX4 no longer stale" wait_until 10 router_route_fresh "$r" "$PREFIX4"
  check "$r: $PREFIX4 via $A4" router_has_route "$r" "$PREFIX4" "$A4"
done
# r1 restarted without re-announcing PREFIX6: after its End-of-RIB the stale /128 must go.
for r in "${receivers[@]}"; do
  check "$r: stale $PREFIX6 dropped after r1's End-of-RIB" wait_until 10 router_route_absent "$r" "$PREFIX6"
done

for r in r1 "${receivers[@]}"; do router_stop "$r"; done
lab_pass "the lab's routers peer, learn, withdraw and keep stale routes"
