# shellcheck shell=bash
# bgp_cluster.sh: the scenario of tests/e2e/test_bgp_cluster_{bird,frr,gobgp}.sh, one router kind
# per script. Three kube-vip nodes (Raft, out of cluster, BGP mode) peer with one router r1 (AS
# 65000, hold time 3 s, Graceful Restart helper); node3's session has a TCP MD5 password (RFC 2385).
#
#   (a) the router learns VIP/32 from the leader only: next hop the leader's address, the
#       communities and large communities of the configuration; every session Established
#   (b) SIGKILL of the leader: the route moves to the new leader (measured); the killed node,
#       restarted, peers again and announces nothing, not even for a moment
#   (c) SIGTERM of the leader: its route is withdrawn at once (measured), and moves
#   (d) node3 with a wrong MD5 password never reaches Established, and its log says why ("MD5");
#       with the right one again it does
#   (e) the leader frozen (SIGSTOP): the router drops its path after the hold time (measured),
#       the new leader's path stays; after SIGCONT the old leader does not announce again, not even
#       for a moment (the router's next hops are sampled every ~50 ms)
#
# Measurements are printed as "MEASURE name = S s" lines on stderr. Run with the router kind:
#   bgp_cluster_scenario bird|frr|gobgp

bgp_cluster_scenario() {
  local kind=$1
  lab_require_kubevip
  lab_create 3
  router_create r1
  BGP_ROUTER=r1
  BGP_PREFIX=$LAB_VIP4/32
  local raddr k
  raddr=$(router_ip4 r1)
  router_start r1 "$kind" --as "$BGP_ROUTER_AS" --hold 3 --keepalive 1 --gr helper \
    --neighbor "$(lab_ip4 node1),$BGP_KV_AS" --neighbor "$(lab_ip4 node2),$BGP_KV_AS" \
    --neighbor "$(lab_ip4 node3),$BGP_KV_AS,password=secret"

  for k in 1 2 3; do
    local leader_opt=()
    [ "$k" != 1 ] || leader_opt=(--start-as-leader)
    if [ "$k" = 3 ]; then
      bgp_write_node_config "$k" --peer "$raddr,$BGP_ROUTER_AS,password=secret" -- "${leader_opt[@]}"
    else
      bgp_write_node_config "$k" --peer "$raddr,$BGP_ROUTER_AS" -- "${leader_opt[@]}"
    fi
    bgp_start_node "$k"
  done
  lab_wait_leader
  local leader=$LAB_LEADER
  log "leader: $leader"

  # (a) ----------------------------------------------------------------------------------------
  check "$kind: sessions with node1, node2, node3 Established within 15 s" \
    wait_until 15 bgp_all_established r1 node1 node2 node3
  check "$kind: learns $BGP_PREFIX only via the leader $leader" wait_until 10 bgp_only_via "$(lab_ip4 "$leader")"
  log "r1: $(router_route_summary)"
  assert_eq "$BGP_COMMUNITY" "$(router_route_communities r1 "$BGP_PREFIX")" "$kind: communities"
  assert_eq "$BGP_LARGE_COMMUNITY" "$(router_route_large_communities r1 "$BGP_PREFIX")" "$kind: large communities"
  assert_eq "" "$(router_route_stale r1 "$BGP_PREFIX")" "$kind: the route is not stale"
  assert_eq "$leader" "$(lab_vip_holders)" "the leader alone holds the VIP"
  check "the VIP is on the leader's lo" lab_exec "$leader" sh -c "ip -o addr show dev lo | grep -qF ' $LAB_VIP4/'"

  # (b) SIGKILL ----------------------------------------------------------------------------------
  local old=$leader new moved
  bgp_t0
  lab_kill "$old" KILL
  wait_until 10 bgp_has_holder_other_than "$old" ||
    fail "no other node took the VIP within 10 s of the SIGKILL"
  new=$(bgp_holder_other_than "$old")
  bgp_measure "$kind sigkill: next hop moved $old -> $new" moved 10 bgp_only_via "$(lab_ip4 "$new")"
  assert_le "$moved" 5 "$kind: next hop moved within 5 s of the SIGKILL"
  lab_wait_exit "$old" 2 || fail "SIGKILLed kube-vip on $old did not exit"
  bgp_watch_start rejoin
  bgp_start_node "$old"
  check "$kind: restarted $old peers again" router_wait_established r1 "$(lab_ip4 "$old")" 20
  sleep 2
  bgp_watch_stop rejoin
  check "$kind: after $old rejoined, the route still goes only via $new" bgp_only_via "$(lab_ip4 "$new")"
  check "$kind: the rejoining $old never announced the VIP" bgp_watch_never_via rejoin "$(lab_ip4 "$old")"
  leader=$new

  # (c) SIGTERM ----------------------------------------------------------------------------------
  local withdrawn
  old=$leader
  bgp_t0
  lab_kill "$old" TERM
  bgp_measure "$kind sigterm: $old's path withdrawn" withdrawn 5 bgp_not_via "$(lab_ip4 "$old")"
  assert_le "$withdrawn" 1 "$kind: withdrawn within 1 s of the SIGTERM"
  wait_until 10 bgp_has_holder_other_than "$old" ||
    fail "no other node took the VIP within 10 s of the SIGTERM"
  new=$(bgp_holder_other_than "$old")
  bgp_measure "$kind sigterm: next hop moved $old -> $new" moved 10 bgp_only_via "$(lab_ip4 "$new")"
  assert_le "$moved" 5 "$kind: next hop moved within 5 s of the SIGTERM"
  lab_wait_exit "$old" 5 || fail "kube-vip on $old did not exit within 5 s of SIGTERM"
  assert_eq 0 "$LAB_EXIT_CODE" "$old: exit status after SIGTERM"
  bgp_start_node "$old"
  check "$kind: restarted $old peers again" router_wait_established r1 "$(lab_ip4 "$old")" 20
  leader=$new

  # (d) MD5 --------------------------------------------------------------------------------------
  local n3=node3 log_mark lines
  if lab_kubevip_running "$n3"; then lab_stop_kubevip "$n3" TERM 5 || fail "$n3 did not stop"; fi
  bgp_write_node_config 3 --peer "$raddr,$BGP_ROUTER_AS,password=wrong"
  lines=$(wc -l <"$(lab_kv_log "$n3")")
  log_mark=$((lines + 1))
  # If node3 led, another node takes over first.
  wait_until 10 bgp_has_holder_other_than "$n3" || fail "no VIP holder but $n3 within 10 s of stopping it"
  bgp_start_node 3
  wait_until 10 bgp_single_holder || fail "no single VIP holder after restarting $n3"
  leader=$(lab_vip_holders)
  [ "$leader" != "$n3" ] || fail "$n3 (wrong MD5 password) became the leader"
  check "$kind: learns $BGP_PREFIX via $leader" wait_until 10 bgp_only_via "$(lab_ip4 "$leader")"
  check "$kind: $n3 with a wrong MD5 password never Established (5 s)" \
    bgp_never 5 router_established r1 "$(lab_ip4 "$n3")"
  log "r1: $n3 session state $(router_session_state r1 "$(lab_ip4 "$n3")")"
  check "$n3's log says why (MD5)" wait_until 5 bgp_log_since_has "$n3" "$log_mark" md5
  log "$n3: $(tail -n "+$log_mark" "$(lab_kv_log "$n3")" | grep -i -m1 md5)"
  lab_stop_kubevip "$n3" TERM 5 || fail "$n3 did not stop"
  bgp_write_node_config 3 --peer "$raddr,$BGP_ROUTER_AS,password=secret"
  bgp_start_node 3
  check "$kind: $n3 with the right MD5 password Established" router_wait_established r1 "$(lab_ip4 "$n3")" 15

  # (e) hold time --------------------------------------------------------------------------------
  local dropped other
  wait_until 10 bgp_single_holder || fail "no single VIP holder before the freeze"
  old=$(lab_vip_holders)
  check "$kind: every session Established before the freeze" \
    wait_until 10 bgp_all_established r1 node1 node2 node3
  check "$kind: the route goes via $old before the freeze" wait_until 5 bgp_only_via "$(lab_ip4 "$old")"
  bgp_t0
  lab_kill "$old" STOP
  bgp_measure "$kind freeze: $old's path dropped (hold time 3 s)" dropped 8 bgp_not_via "$(lab_ip4 "$old")"
  # The hold timer runs from the last KEEPALIVE (every 1 s at most) before the freeze: 2-3 s after
  # it. The lower bound leaves half a second for a keepalive that left late on a busy machine (CI
  # once saw 1.79 s): it is there to tell the hold timer from anything that would drop the path at
  # once (a withdrawal or a closed connection), which would show as well under a second.
  assert_le 1.5 "$dropped" "$kind: the frozen leader's path not dropped before the hold time"
  assert_le "$dropped" 4 "$kind: the frozen leader's path dropped within hold time + 1 s"
  other=$(bgp_holder_other_than "$old")
  [ -n "$other" ] || fail "no other node holds the VIP after the freeze"
  check "$kind: the route goes only via the new leader $other" wait_until 5 bgp_only_via "$(lab_ip4 "$other")"
  bgp_watch_start thaw
  lab_kill "$old" CONT
  # The router ended the session (Hold Timer Expired); kube-vip may wait its own reconnect timer.
  check "$kind: thawed $old peers again" router_wait_established r1 "$(lab_ip4 "$old")" 30
  sleep 2
  bgp_watch_stop thaw
  check "$kind: thawed $old announces nothing: the route goes only via $other" bgp_only_via "$(lab_ip4 "$other")"
  check "$kind: thawed $old never announced the VIP again, not even for a moment" \
    bgp_watch_never_via thaw "$(lab_ip4 "$old")"
  assert_eq "$other" "$(lab_vip_holders)" "one VIP holder after the thaw"

  router_stop r1
  lab_pass "$kind: learns, follows the leader, withdraws, refuses a wrong MD5 password, expires"
}
