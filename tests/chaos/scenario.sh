#!/usr/bin/env bash
# shellcheck disable=SC2119  # lab functions called without their optional arguments
# One chaos scenario in a namespace lab of its own (tests/e2e/lib/lab.sh), repeated TRIALS times
# with random timing, under the never-two-holders checker and client probes. Run by run.sh, which
# also reads the results; by hand:
#
#   tests/chaos/scenario.sh NAME --trials N --out DIR [--seed S]
#
# NAME is <cluster>-<fault>: the clusters are raft3 and raft5 (`kube-vip start`, a Raft cluster of
# 3 or 5 nodes with a tcp balancer on the VIP to two backend nodes) and lease3 (three
# `kube-vip manager`s electing through a Lease on the test API server). The faults and what each
# trial does are in fault_* below; run.sh --list prints them.
#
# Written to DIR: trials.jsonl (one line per trial: the event's CLOCK_MONOTONIC time, the node it
# hit, whether the VIP was expected to move, when the lab was steady again), prober.tsv (who
# answers on VIP:8080, every 20 ms), lbprober.tsv (the balancer on VIP:9000, raft clusters),
# holders.*.tsv and liveness.log (the holder checker's input), crashes.jsonl (a daemon that exited
# without being told to), the daemons' logs, and scenario.json (name, trials, seed, duration).
# Exit status: 0 when every trial ran (whatever it measured: run.sh judges), 1 when the lab could
# not be brought to a steady state.
set -euo pipefail
CHAOS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$CHAOS_DIR/../e2e/lib/lab.sh"
source "$CHAOS_DIR/../e2e/apiserver/incluster.sh"

NAME=${1:?usage: scenario.sh NAME --trials N --out DIR [--seed S]}
shift
TRIALS=3
OUT=""
SEED=$$
while [ $# -gt 0 ]; do
  case "$1" in
    --trials) TRIALS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --seed) SEED=$2; shift ;;
    *) echo "scenario.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$OUT" ] || { echo "scenario.sh: --out DIR is required" >&2; exit 2; }
CLUSTER=${NAME%%-*}
FAULT=${NAME#*-}
case "$CLUSTER" in
  raft3) CLUSTER_SIZE=3 ;;
  raft5) CLUSTER_SIZE=5 ;;
  lease3) CLUSTER_SIZE=3 ;;
  *) echo "scenario.sh: unknown cluster '$CLUSTER' in $NAME" >&2; exit 2 ;;
esac
RANDOM=$SEED
mkdir -p "$OUT"

LB_PORT=9000
BACKEND_PORT=8081
# Nodes CLUSTER_SIZE+1 and +2 are the balancer's backends (raft clusters only): no kube-vip.
BACKENDS=()
STEADY_TIMEOUT=20

# ---- small helpers ---------------------------------------------------------------------------

# rand_between A B: a random decimal in [A, B] seconds, millisecond steps.
rand_between() {
  local a_ms b_ms
  a_ms=$(_lab_seconds_to_us "$1"); b_ms=$(_lab_seconds_to_us "$2")
  a_ms=$((a_ms / 1000)); b_ms=$((b_ms / 1000))
  local ms=$((a_ms + (RANDOM * 32768 + RANDOM) % (b_ms - a_ms + 1)))
  printf '%d.%03d\n' $((ms / 1000)) $((ms % 1000))
}

cluster_nodes() { local k; for ((k = 1; k <= CLUSTER_SIZE; k++)); do echo "node$k"; done; }

# pick_other NODE: a random cluster node other than NODE.
pick_other() {
  local others=() n
  for n in $(cluster_nodes); do [ "$n" = "$1" ] || others+=("$n"); done
  echo "${others[RANDOM % ${#others[@]}]}"
}


record_crash() {  # NODE WHAT
  printf '{"time": %s, "node": "%s", "what": "%s"}\n' "$(lab_now)" "$1" "$2" >>"$OUT/crashes.jsonl"
  log "CRASH: $1: $2"
}

# ---- the clusters ------------------------------------------------------------------------------

raft_setup() {
  lab_create $((CLUSTER_SIZE + 2))
  BACKENDS=("node$((CLUSTER_SIZE + 1))" "node$((CLUSTER_SIZE + 2))")
  local lb k leader_opt
  lb="loadBalancers:
  - name: chaos
    type: tcp
    port: $LB_PORT
    bindToVip: true
    backends:
      - {address: $(lab_ip4 "${BACKENDS[0]}"), port: $BACKEND_PORT}
      - {address: $(lab_ip4 "${BACKENDS[1]}"), port: $BACKEND_PORT}
    healthCheck:
      interval: 200ms
      timeout: 100ms
      rise: 2
      fall: 2"
  for k in $(seq 1 "$CLUSTER_SIZE"); do
    leader_opt=()
    [ "$k" != 1 ] || leader_opt=(--start-as-leader)
    lab_write_config "$LAB_DIR/node$k.yaml" --node "$k" --nodes "$CLUSTER_SIZE" "${leader_opt[@]}" --extra "$lb"
  done
  for k in $(seq 1 "$CLUSTER_SIZE"); do
    lab_bg "server.node$k" "node$k" "$LAB_PYTHON" "$LAB_TOOLS_DIR/node_server.py" --name "node$k" \
      --port "$LAB_SERVICE_PORT"
  done
  local b
  for b in "${BACKENDS[@]}"; do start_backend "$b"; done
  for k in $(seq 1 "$CLUSTER_SIZE"); do start_node "node$k"; done
}

start_backend() {
  lab_bg "backend.$1" "$1" "$LAB_PYTHON" "$LAB_TOOLS_DIR/node_server.py" --name "$1" --port "$BACKEND_PORT"
  wait_until 5 _lab_listening "$1" "$BACKEND_PORT" || fail "backend $1 did not start"
}

lease_setup() {
  lab_create "$CLUSTER_SIZE"
  kvk_start_apiserver
  local k
  for k in $(seq 1 "$CLUSTER_SIZE"); do
    lab_bg "server.node$k" "node$k" "$LAB_PYTHON" "$LAB_TOOLS_DIR/node_server.py" --name "node$k" \
      --port "$LAB_SERVICE_PORT"
  done
  for k in $(seq 1 "$CLUSTER_SIZE"); do start_node "node$k"; done
}

start_node() {
  if [ "$CLUSTER" = lease3 ]; then kvk_start_manager "$1"; else lab_start_cluster_node "$1"; fi
}

# status_leader NODE: the leader NODE's daemon names in `kube-vip status` (empty if none).
status_leader() {
  "$KUBEVIP_BIN" status --socket "$(lab_kv_socket "$1")" --output json 2>/dev/null |
    "$LAB_PYTHON" -c 'import json, sys
try: print(json.load(sys.stdin)["election"].get("leader") or "")
except Exception: print("")'
}

# steady: every cluster daemon runs, exactly one node holds the VIP, and (Raft) every node names
# it as the leader / (Lease) the Lease names it; the client reaches it through the VIP.
steady() {
  local n h
  for n in $(cluster_nodes); do lab_kubevip_running "$n" || return 1; done
  h=$(kvk_one_holder) || return 1
  if [ "$CLUSTER" = lease3 ]; then
    kvk_lease_holder_is "$h" || return 1
  else
    for n in $(cluster_nodes); do [ "$(status_leader "$n")" = "$h" ] || return 1; done
  fi
  [ "$(lab_fetch "$LAB_VIP4" 2>/dev/null)" = "$h" ]
}

# revive_crashed: a daemon that exited without being told to is a crash: recorded, restarted.
revive_crashed() {
  local n
  for n in $(cluster_nodes); do
    [ -z "${STOPPED[$n]:-}" ] || continue
    lab_kubevip_running "$n" && continue
    local code=""
    if [ -n "${LAB_KV_PID[$n]:-}" ]; then lab_wait_exit "$n" 1 || true; code=$LAB_EXIT_CODE; fi
    record_crash "$n" "daemon exited (status ${code:-unknown}) without a stop"
    start_node "$n"
  done
}

wait_steady() {
  revive_crashed
  wait_until "$STEADY_TIMEOUT" steady || {
    revive_crashed
    wait_until "$STEADY_TIMEOUT" steady
  }
}

declare -A STOPPED=()  # nodes this script stopped on purpose (no crash when they are gone)

# kill_node NODE SIG: SIGKILL/SIGTERM NODE's daemon and wait for it to be gone.
kill_node() {
  STOPPED[$1]=1
  lab_kill "$1" "$2"
  local gone=0
  exec 3>&2 2>/dev/null  # no "Killed" job report from bash
  lab_wait_exit "$1" 10 || gone=1
  exec 2>&3 3>&-
  [ $gone = 0 ] || fail "$1 did not exit after SIG$2"
}
restart_node() {
  start_node "$1"
  unset "STOPPED[$1]"
}

# ---- the faults -------------------------------------------------------------------------------
# Each fault_X LEADER applies its fault to a lab whose VIP LEADER holds, waits for the outcome,
# undoes it, and sets EXPECT_MOVE (the VIP should change holder) and VICTIM. The caller records
# EVENT_TIME (set by the fault at the moment the fault starts) and waits for the lab to be steady.

EVENT_TIME=""
EXPECT_MOVE=false
VICTIM=""
NOTE=""

event_now() { EVENT_TIME=$(lab_now); }

fault_leader_kill() {
  VICTIM=$1 EXPECT_MOVE=true
  event_now
  kill_node "$1" KILL
  wait_until 10 kvk_holder_is_not "$1" || true
  sleep "$(rand_between 0 1)"
  restart_node "$1"
}

# SIGSTOP for longer than the randomized election timeout (300-600 ms) and the election: the
# cluster elects another leader while
# the old one, frozen, still has the VIP on its interface until the address's lifetime runs out;
# after SIGCONT it must find itself deposed and never renew the address.
fault_leader_stop() {
  VICTIM=$1 EXPECT_MOVE=true
  local pause; pause=$(rand_between 0.8 2.5)
  NOTE="stopped ${pause}s"
  event_now
  lab_kill "$1" STOP
  sleep "$pause"
  lab_kill "$1" CONT
  wait_until 10 kvk_holder_is_not "$1" || true
}

fault_leader_link_flap() {
  VICTIM=$1 EXPECT_MOVE=true
  local down; down=$(rand_between 0.2 2)
  NOTE="link down ${down}s"
  lab_link_down "$1"
  event_now
  sleep "$down"
  lab_link_up "$1"
  wait_until 10 kvk_holder_is_not "$1" || true
}

# The leader on the minority side: alone (3 nodes), or with one follower (5 nodes). Both sides
# still reach the client and the backends.
fault_partition_leader() {
  VICTIM=$1 EXPECT_MOVE=true
  local minority=("$1") majority=() n hold
  [ "$CLUSTER_SIZE" -lt 5 ] || minority+=("$(pick_other "$1")")
  for n in $(cluster_nodes); do [[ " ${minority[*]} " == *" $n "* ]] || majority+=("$n"); done
  hold=$(rand_between 1.5 3)
  NOTE="minority ${minority[*]} for ${hold}s"
  # The event is the leader's cut (installing rules takes a while on a loaded machine); the
  # follower that goes with it (5 nodes) is cut right after.
  lab_partition "$1" "${majority[@]}"
  event_now
  for n in "${minority[@]:1}"; do lab_partition "$n" "${majority[@]}"; done
  sleep "$hold"
  for n in "${minority[@]}"; do lab_heal "$n"; done
  wait_until 10 kvk_holder_is_not "$1" || true
}

# A minority of followers cut off; the leader keeps its majority, so the VIP must stay, also when
# the cut-off followers come back (they must not depose the leader).
fault_partition_follower() {
  local minority=() majority=() n hold
  minority+=("$(pick_other "$1")")
  if [ "$CLUSTER_SIZE" -ge 5 ]; then
    while true; do
      n=$(pick_other "$1")
      [ "$n" = "${minority[0]}" ] || break
    done
    minority+=("$n")
  fi
  for n in $(cluster_nodes); do [[ " ${minority[*]} " == *" $n "* ]] || majority+=("$n"); done
  VICTIM=${minority[*]} EXPECT_MOVE=false
  hold=$(rand_between 1.5 4)
  NOTE="minority ${minority[*]} for ${hold}s"
  lab_partition "${minority[0]}" "${majority[@]}"
  event_now
  for n in "${minority[@]:1}"; do lab_partition "$n" "${majority[@]}"; done
  sleep "$hold"
  for n in "${minority[@]}"; do lab_heal "$n"; done
  sleep 2
}

# The leader hears everyone but every frame it sends is dropped (IPv4, IPv6, ARP).
fault_asymmetric() {
  VICTIM=$1 EXPECT_MOVE=true
  local hold; hold=$(rand_between 1 3)
  NOTE="sending dropped for ${hold}s"
  lab_exec "$1" nft -f - <<EOF
table inet kvchaos_asym { chain out { type filter hook output priority -300; oifname "eth0" drop; }; }
table arp kvchaos_asym { chain out { type filter hook output priority -300; drop; }; }
EOF
  event_now
  sleep "$hold"
  lab_exec "$1" nft delete table inet kvchaos_asym
  lab_exec "$1" nft delete table arp kvchaos_asym
  wait_until 10 kvk_holder_is_not "$1" || true
}

# Random loss on the Raft path of every node (nftables numgen: no netem in this kernel), both
# directions, for a few seconds. Whether the VIP moves depends on the draw; it must never be on
# two nodes.
fault_loss() {
  VICTIM=all EXPECT_MOVE=""
  local pct hold n
  pct=$((5 + RANDOM % 36))
  hold=$(rand_between 3 6)
  NOTE="${pct}% loss for ${hold}s"
  for n in $(cluster_nodes); do
    lab_exec "$n" nft -f - <<EOF
table inet kvchaos_loss {
  chain in { type filter hook input priority -300; tcp dport $LAB_RAFT_PORT numgen random mod 100 < $pct drop; tcp sport $LAB_RAFT_PORT numgen random mod 100 < $pct drop; }
  chain out { type filter hook output priority -300; tcp dport $LAB_RAFT_PORT numgen random mod 100 < $pct drop; tcp sport $LAB_RAFT_PORT numgen random mod 100 < $pct drop; }
}
EOF
  done
  event_now
  sleep "$hold"
  for n in $(cluster_nodes); do lab_exec "$n" nft delete table inet kvchaos_loss; done
  sleep 1
}

# A follower SIGKILLed and started again at once, inside the leader's term (Raft) or Lease: it
# must not take the VIP on the strength of its own empty memory.
fault_follower_restart() {
  local f; f=$(pick_other "$1")
  VICTIM=$f EXPECT_MOVE=false
  event_now
  kill_node "$f" KILL
  restart_node "$f"
  if [ "$CLUSTER" = lease3 ]; then sleep 7; else sleep 2; fi  # past leaseDuration (5 s)
}

# Every node in turn: SIGTERM, start again, wait for the lab to be steady. One trial line per
# node (recorded here), the leader's restart being a handover.
fault_rolling_restart() {
  local n leader=$1 first=1
  for n in $(cluster_nodes); do
    [ $first = 1 ] || { wait_steady || fail "no steady lab during the rolling restart"; leader=$(kvk_one_holder); }
    first=0
    VICTIM=$n NOTE="rolling restart"
    if [ "$n" = "$leader" ]; then EXPECT_MOVE=true; else EXPECT_MOVE=false; fi
    event_now
    kill_node "$n" TERM
    [ "$EXPECT_MOVE" = false ] || wait_until 10 kvk_holder_is_not "$n" || true
    restart_node "$n"
    [ "$n" = "$(cluster_nodes | tail -n 1)" ] || record_trial
  done
}

# One backend's server killed (connections refused) and started again, while the probes go on.
fault_backend_flap() {
  local b=${BACKENDS[RANDOM % 2]} down
  down=$(rand_between 0.3 2)
  VICTIM=$b EXPECT_MOVE=false NOTE="backend down ${down}s"
  event_now
  lab_bg_stop "backend.$b" KILL
  sleep "$down"
  start_backend "$b"
  sleep "$(rand_between 0.5 1.5)"
}

# The API server frozen (SIGSTOP: connections accepted by the kernel, never answered), then
# resumed. Longer than renewDeadline (3 s), the holder must give the VIP up by itself.
fault_apiserver_pause() {
  VICTIM=apiserver EXPECT_MOVE=""
  local pause; pause=$(rand_between 1 6)
  NOTE="paused ${pause}s"
  event_now
  kill -STOP "${LAB_BG_PID[apiserver]}"
  sleep "$pause"
  kill -CONT "${LAB_BG_PID[apiserver]}"
  sleep 1
}

fault_apiserver_restart() {
  VICTIM=apiserver EXPECT_MOVE=""
  local down; down=$(rand_between 0.5 4)
  NOTE="down ${down}s"
  event_now
  kvk_stop_apiserver KILL
  sleep "$down"
  kvk_start_apiserver
  sleep 1
}

# Another writer updates the Lease (an annotation) as fast as it can for a few seconds: every
# renewal the holder sends carries a stale resourceVersion and gets 409 Conflict.
fault_conflict_storm() {
  VICTIM=lease EXPECT_MOVE=""
  local hold; hold=$(rand_between 3 6)
  event_now
  lab_exec client "$LAB_PYTHON" "$CHAOS_DIR/lease_storm.py" --server "https://$KVK_API_ADDR:$KVK_API_PORT" \
    --ca "$LAB_DIR/$KVK_DIR_NAME/ca.crt" --token admin-token-0123456789 --seconds "$hold" \
    >"$LAB_DIR/storm.json" 2>>"$LAB_DIR/storm.log" || fail "lease_storm.py failed: $(tail -3 "$LAB_DIR/storm.log")"
  NOTE="storm ${hold}s: $(cat "$LAB_DIR/storm.json")"
  sleep 1
}

# ---- the run -----------------------------------------------------------------------------------

declare -F "fault_${FAULT//-/_}" >/dev/null || { echo "scenario.sh: unknown fault '$FAULT'" >&2; exit 2; }
case "$CLUSTER:$FAULT" in
  lease3:leader-kill | lease3:follower-restart | lease3:apiserver-* | lease3:conflict-storm) ;;
  lease3:*) echo "scenario.sh: $FAULT is not a Lease-cluster fault" >&2; exit 2 ;;
  raft*:apiserver-* | raft*:conflict-storm) echo "scenario.sh: $FAULT needs the Lease cluster" >&2; exit 2 ;;
esac

TRIAL=0
record_trial() {
  printf '{"scenario": "%s", "trial": %d, "event": %s, "victim": "%s", "expect_move": %s, "note": "%s", "steady": %s}\n' \
    "$NAME" "$TRIAL" "$EVENT_TIME" "$VICTIM" "${EXPECT_MOVE:-null}" "${NOTE//\"/\'}" "$(lab_now)" >>"$OUT/trials.jsonl"
}

save_results() {
  [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ] || return 0
  cp -f "$LAB_DIR"/prober.tsv "$LAB_DIR"/lbprober.tsv "$LAB_DIR"/holders.*.tsv "$LAB_DIR"/liveness.log \
    "$LAB_DIR"/*.kubevip.log "$OUT/" 2>/dev/null || true
}

lab_init "chaos: $NAME"
lab_require_kubevip
[ "$CLUSTER" != lease3 ] || lab_require kubectl
: >"$OUT/trials.jsonl"
: >"$OUT/crashes.jsonl"
started=$(lab_now)
if [ "$CLUSTER" = lease3 ]; then lease_setup; else raft_setup; fi
lab_holders_start
wait_steady || fail "$NAME: the lab never became steady (one holder that every node names)"
lab_prober_start "$LAB_VIP4"
if [ "$CLUSTER" != lease3 ]; then
  lab_bg lbprober client "$LAB_PYTHON" "$LAB_TOOLS_DIR/prober.py" run --target "$LAB_VIP4" \
    --port "$LB_PORT" --out "$LAB_DIR/lbprober.tsv"
  wait_until 5 grep -qs ' ok ' "$LAB_DIR/lbprober.tsv" || fail "nobody answers through the balancer"
fi

for ((TRIAL = 1; TRIAL <= TRIALS; TRIAL++)); do
  sleep "$(rand_between 0.2 1)"
  leader=$(kvk_one_holder) || fail "trial $TRIAL: no single holder at the start"
  NOTE="" VICTIM="" EXPECT_MOVE=false
  "fault_${FAULT//-/_}" "$leader"
  wait_steady || { save_results; fail "trial $TRIAL of $NAME: the lab did not become steady within $((2 * STEADY_TIMEOUT)) s"; }
  record_trial
  log "trial $TRIAL/$TRIALS: $VICTIM ${NOTE:+($NOTE) }-> holder $(kvk_one_holder)"
done

lab_bg_stop prober
lab_bg_stop lbprober
for n in $(lab_node_names); do lab_bg_stop "holders.$n"; done
revive_crashed
save_results
printf '{"scenario": "%s", "trials": %d, "seed": %d, "seconds": %.1f, "cluster_size": %d}\n' \
  "$NAME" "$TRIALS" "$SEED" "$(awk -v a="$started" -v b="$(lab_now)" 'BEGIN { print b - a }')" \
  "$CLUSTER_SIZE" >"$OUT/scenario.json"
lab_pass
