#!/usr/bin/env bash
# `make demo`: kube-vip on a throw-away network of namespaces, start to finish in a few seconds.
#
# Builds a lab (a bridge, node1 and a client, each in its own network namespace; nothing is
# added to the host's own network), starts a singleNode kube-vip on node1 with the VIP, shows
# the client reaching node1 through the VIP and learning node1's MAC for it, stops kube-vip and
# shows the VIP gone. Everything is removed at the end, also on Ctrl-C or error.
# Needs root and bin/kube-vip (built by `make`).
#
# Each scene is one function; a failover demo adds scenes on a lab of three nodes.
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
  heading "A lab: a bridge, node1 and a client, each in its own network namespace"
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

lab_init "kube-vip demo"
lab_require_kubevip
scene_lab 1
scene_start_single node1
scene_client_reaches node1
scene_stop node1
heading "Clean up: namespaces and processes removed"
