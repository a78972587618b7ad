#!/usr/bin/env bash
# `make demo`: kube-vip on a throw-away network of namespaces, start to finish in a few seconds.
#
# Builds a lab (a bridge, nodes and a client, each in its own network namespace; nothing is
# added to the host's own network), starts kube-vip, shows the client reaching the holder through
# the VIP and learning its MAC, then (cluster) kills the holder and shows the takeover, or (single
# node) stops kube-vip and shows the VIP gone. Everything is removed at the end, also on Ctrl-C or
# error.
# Needs root and bin/kube-vip (built by `make`).
#
#   scripts/demo.sh              (what `make demo` runs; also --failover) three nodes elect a VIP
#                                holder with Raft; the holder's kube-vip is SIGKILLed and another
#                                node takes the VIP over; the client's outage is printed
#   scripts/demo.sh --single     one node holds the VIP, then SIGTERM removes it
# Each scene is one function.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export KUBEVIP_BIN=${KUBEVIP_BIN:-$repo/bin/kube-vip}
export LAB_QUIET=1
source "$repo/tests/e2e/lib/lab.sh"

step=0
bold='' plain=''
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; fi
heading() {
  step=$((step + 1))
  printf '\n%s%d. %s%s\n' "$bold" "$step" "$*" "$plain"
}
say() { printf '   %s\n' "$*"; }
# run NAME CMD...: shows the command as typed in NAME's namespace, then its output indented.
run() {
  local name=$1; shift
  printf '   %s$ %s\n' "$name" "$*"
  lab_exec "$name" "$@" 2>&1 | sed 's/^/     /'
}

scene_lab() {
  heading "A lab: a bridge, $1 node(s) and a client, each in its own network namespace"
  lab_create "$1"
  local n
  for n in $(lab_node_names) client; do
    say "$(printf '%-7s namespace %-16s eth0 %s  %s  %s' "$n" "$(lab_ns "$n")" "$(lab_mac "$n")" \
      "$(lab_ip4 "$n")" "$(lab_ip6 "$n")")"
  done
  say "VIP $LAB_VIP4; every node runs a tiny TCP server on port $LAB_SERVICE_PORT answering its name"
  lab_start_servers
}

scene_start_single() {
  local node=$1
  heading "Start kube-vip on $node (singleNode) with the VIP $LAB_VIP4"
  lab_write_config "$LAB_DIR/$node.yaml" --node "$node" --single
  grep -v '^#' "$LAB_DIR/$node.yaml" | sed 's/^/     /'
  say "$ kube-vip start -c $node.yaml"
  lab_start_kubevip "$node" "$LAB_DIR/$node.yaml"
  wait_until 5 lab_has_vip "$node" || fail "$node did not get the VIP within 5 s (log: $(lab_kv_log "$node"))"
  say "the VIP is on $node's eth0 (lifetime 1 s, renewed every 200 ms: it expires if kube-vip dies):"
  run "$node" ip -o addr show to "$LAB_VIP4"
}

scene_client_reaches() {
  local expect=$1 answer
  heading "The client connects to the VIP"
  printf '   client$ connect %s:%s\n' "$LAB_VIP4" "$LAB_SERVICE_PORT"
  answer=$(lab_fetch "$LAB_VIP4") || fail "the client could not reach the VIP"
  say "  answered by: $answer"
  [ "$answer" = "$expect" ] || fail "expected $expect to answer, got $answer"
  say "the client's ARP entry for the VIP points at $expect's MAC ($(lab_mac "$expect")):"
  run client ip neigh show "$LAB_VIP4"
  [ "$(lab_neigh_mac client "$LAB_VIP4")" = "$(lab_mac "$expect")" ] || fail "the client's ARP entry is not $expect's MAC"
}

scene_stop() {
  local node=$1
  heading "Stop kube-vip on $node (SIGTERM)"
  lab_stop_kubevip "$node" TERM 5 || fail "kube-vip did not exit within 5 s"
  say "kube-vip exited with status $LAB_EXIT_CODE after ${LAB_EXIT_SECONDS}s and removed the VIP:"
  run "$node" ip -br addr show dev eth0
  lab_has_vip "$node" && fail "the VIP is still on $node"
  printf '   client$ connect %s:%s\n' "$LAB_VIP4" "$LAB_SERVICE_PORT"
  if lab_fetch "$LAB_VIP4" >/dev/null 2>&1; then fail "the VIP still answers"; fi
  say "  no answer: the VIP is gone"
}

scene_start_cluster() {
  local k election="election: {timeout: 300ms, heartbeat: 50ms, leaderLease: 250ms}"
  heading "Start kube-vip on node1..node$LAB_NODES: a Raft cluster, the leader holds the VIP"
  for ((k = 1; k <= LAB_NODES; k++)); do
    lab_write_config "$LAB_DIR/node$k.yaml" --node "$k" --nodes "$LAB_NODES" --extra "$election"
  done
  grep -v '^#' "$LAB_DIR/node1.yaml" | sed 's/^/     /'
  for ((k = 1; k <= LAB_NODES; k++)); do
    say "node$k$ kube-vip start -c node$k.yaml"
    lab_start_kubevip "node$k" "$LAB_DIR/node$k.yaml" "" --data-dir "$LAB_DIR/raft.node$k"
  done
  wait_until 10 eval 'holder=$(lab_vip_holders); [ "$(wc -w <<<"$holder")" = 1 ]' ||
    fail "no node took the VIP within 10 s"
  say "elected: $holder holds the VIP"
  run "$holder" ip -o addr show to "$LAB_VIP4"
}

scene_failover() {
  local old=$holder t report
  heading "Kill the holder's kube-vip (SIGKILL): it cannot clean up, its VIP expires within ~1.2 s"
  lab_holders_start
  lab_prober_start "$LAB_VIP4"
  sleep 0.5
  t=$(lab_now)
  disown "${LAB_KV_PID[$old]}"  # no "Killed" job report from bash in the middle of the output
  lab_kill "$old" KILL
  # One reading decides and names the new holder (two readings could disagree).
  wait_until 10 eval 'holder=$(lab_vip_holders); [ -n "$holder" ] && [ "$holder" != "$old" ]' ||
    fail "no other node took the VIP within 10 s"
  sleep 0.5
  report=$(lab_prober_analyze "$t")
  say "$holder took the VIP over; the client, probing every 20 ms, saw:"
  say "  first answer from $(json_get "$report" new_node) $(json_get "$report" takeover_s) s after the kill"
  say "  longest time without an answer: $(json_get "$report" gap_s) s"
  [ "$(json_get "$report" old_answers_after_event)" = 0 ] ||
    say "  (until its VIP expired, $old's server kept answering: its node was still up)"
  lab_holders_check >/dev/null || fail "two live nodes held the VIP at once"
  say "  never two nodes holding the VIP at once (netlink watchers on every node)"
  scene_client_reaches "$holder"
}

scene_stop_all() {
  local n
  heading "Stop every kube-vip (SIGTERM)"
  for n in $(lab_node_names); do
    lab_kubevip_running "$n" || continue
    lab_stop_kubevip "$n" TERM 5 || fail "kube-vip on $n did not exit within 5 s"
    say "$n: kube-vip exited with status $LAB_EXIT_CODE after ${LAB_EXIT_SECONDS}s"
  done
  [ -z "$(lab_vip_holders)" ] || fail "the VIP is still on $(lab_vip_holders)"
  printf '   client$ connect %s:%s\n' "$LAB_VIP4" "$LAB_SERVICE_PORT"
  if lab_fetch "$LAB_VIP4" >/dev/null 2>&1; then fail "the VIP still answers"; fi
  say "  no answer: no node holds the VIP any more"
}

lab_init "kube-vip demo"
lab_require_kubevip
case "${1:-}" in
  --single)
    scene_lab 1
    scene_start_single node1
    scene_client_reaches node1
    scene_stop node1
    ;;
  "" | --failover)
    scene_lab 3
    scene_start_cluster
    scene_client_reaches "$holder"
    scene_failover
    scene_stop_all
    ;;
  *) echo "usage: $0 [--failover|--single]" >&2; exit 2 ;;
esac
heading "Clean up: namespaces and processes removed"
