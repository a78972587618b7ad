#!/usr/bin/env bash
# The peer's port is used: GoBGP listens on 1179 only, a single kube-vip node is told to peer with
# it on that port (bgp.peers[].port; bgp_peers' fifth field in cluster) and reaches Established;
# the router learns the VIP. A node told the default port gets no session with the same router.
# timeout: 60
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/lib/routers.sh"
source "$(dirname "$0")/lib/bgp_kubevip.sh"
lab_init "bgp: a peer on a port other than 179"
lab_require gobgpd gobgp ss
lab_require_kubevip
lab_create 2

BGP_PREFIX=$LAB_VIP4/32
router_create r1
router_start r1 gobgp --as "$BGP_ROUTER_AS" --hold 3 --keepalive 1 --port 1179 \
  --neighbor "$(lab_ip4 node1),$BGP_KV_AS" --neighbor "$(lab_ip4 node2),$BGP_KV_AS"
listens_on() { router_exec r1 ss -Hltn "sport = :$1" | grep -q .; }
check "gobgp listens on 1179" wait_until 5 listens_on 1179
assert_eq no "$(listens_on 179 && echo yes || echo no)" "nothing listens on 179 in the router"

bgp_write_node_config 1 --peer "$(router_ip4 r1),$BGP_ROUTER_AS,port=1179" -- --single
lab_start_kubevip node1 "$LAB_DIR/node1.yaml"
check "node1 on port 1179: session Established" router_wait_established r1 "$(lab_ip4 node1)" 15
check "the router learns $BGP_PREFIX via node1" wait_until 10 router_has_route r1 "$BGP_PREFIX" "$(lab_ip4 node1)"

# The same router, the default port: nothing listens there, so no session ever comes up.
bgp_write_node_config 2 --peer "$(router_ip4 r1),$BGP_ROUTER_AS" -- --single
lab_start_kubevip node2 "$LAB_DIR/node2.yaml"
sleep 3
assert_eq no "$(router_established r1 "$(lab_ip4 node2)" && echo yes || echo no)" \
  "node2 on port 179: no session"
router_stop r1
lab_pass "kube-vip connected to the peer's port"
