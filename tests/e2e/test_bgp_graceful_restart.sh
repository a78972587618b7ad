#!/usr/bin/env bash
# Graceful Restart (RFC 4724), kube-vip as the restarting speaker: a single node with
# gracefulRestartTime 120 peers with BIRD, FRR and GoBGP (helpers). When kube-vip is SIGKILLed the
# routers keep VIP/32 via the node, marked stale, for the restart time; once kube-vip is started
# again and has sent its routes and End-of-RIB, the route is there and no longer stale.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/lib/routers.sh"
source "$(dirname "$0")/lib/bgp_kubevip.sh"
lab_init "bgp: graceful restart of a single node with BIRD, FRR and GoBGP"
lab_require bird birdc vtysh gobgpd gobgp /usr/lib/frr/zebra /usr/lib/frr/bgpd
lab_require_kubevip
lab_create 1

declare -A kind=([r1]=bird [r2]=frr [r3]=gobgp)
routers=(r1 r2 r3)
BGP_PREFIX=$LAB_VIP4/32
node_ip=$(lab_ip4 node1)
peers=()
for r in "${routers[@]}"; do
  router_create "$r"
  router_start "$r" "${kind[$r]}" --as "$BGP_ROUTER_AS" --hold 3 --keepalive 1 --gr helper \
    --neighbor "$node_ip,$BGP_KV_AS"
  peers+=(--peer "$(router_ip4 "$r"),$BGP_ROUTER_AS")
done
bgp_write_node_config 1 "${peers[@]}" --gr-time 120 -- --single
lab_start_kubevip node1 "$LAB_DIR/node1.yaml"
check "node1 holds the VIP" wait_until 5 lab_has_vip node1

for r in "${routers[@]}"; do
  check "${kind[$r]}: session Established within 15 s" router_wait_established "$r" "$node_ip" 15
  check "${kind[$r]}: learns $BGP_PREFIX via node1, not stale" wait_until 10 router_route_fresh "$r" "$BGP_PREFIX"
  assert_eq "$node_ip" "$(router_route_best "$r" "$BGP_PREFIX")" "${kind[$r]}: next hop"
done

lab_kill node1 KILL
lab_wait_exit node1 2 || fail "SIGKILLed kube-vip did not exit"
for r in "${routers[@]}"; do
  check "${kind[$r]}: session no longer Established" wait_while 5 router_established "$r" "$node_ip"
done
sleep 2  # well past the hold time of a session that was not restarting
for r in "${routers[@]}"; do
  log "$r: $(router_route "$r" "$BGP_PREFIX" | xargs)"
  check "${kind[$r]}: keeps $BGP_PREFIX via node1 while kube-vip is down" router_has_route "$r" "$BGP_PREFIX" "$node_ip"
  assert_eq stale "$(router_route_stale "$r" "$BGP_PREFIX" "$node_ip")" "${kind[$r]}: the kept route is marked stale"
done

lab_start_kubevip node1 "$LAB_DIR/node1.yaml"
for r in "${routers[@]}"; do
  check "${kind[$r]}: session Established again" router_wait_established "$r" "$node_ip" 15
  check "${kind[$r]}: $BGP_PREFIX via node1 and no longer stale" wait_until 10 router_route_fresh "$r" "$BGP_PREFIX"
  assert_eq "$node_ip" "$(router_route_best "$r" "$BGP_PREFIX")" "${kind[$r]}: next hop after the restart"
done
for r in "${routers[@]}"; do router_stop "$r"; done
lab_pass "the routers kept the route through kube-vip's restart, then refreshed it"
