#!/usr/bin/env bash
# Failover benchmark: kube-vip (Raft) against keepalived (VRRPv3), in one run, in one namespace
# lab (tests/e2e/lib/lab.sh: three nodes and a client on one bridge), with one client prober.
#
#   bench/failover/run.sh [--trials N] [--quick] [--systems LIST] [--events LIST] [--out DIR]
#                         [--cluster-key]
#
#   --trials N     trials per event and system (default 5)
#   --quick        2 trials, to try the machinery
#   --systems L    comma list of kube-vip, keepalived-1, keepalived-0.1 (default all three)
#   --events L     comma list of node-lost, process-kill, clean-stop (default all three)
#   --out DIR      also write DIR/table.md, DIR/trials.jsonl and the logs of the run there
#   --cluster-key  kube-vip's Raft peers authenticate with a cluster key (clusterKeyFile)
#   Needs root. KUBEVIP_BIN overrides the daemon (default bin/kube-vip of the checkout).
#
# What runs where: node_server.py on every node answers each TCP connection with the node's name;
# prober.py in the client connects to VIP:8080 every 20 ms and logs who answered; holders.py in
# every node records when that node has the VIP on an interface. All logs use CLOCK_MONOTONIC.
#
# The events, applied to the node holding the VIP, each trial starting from a steady lab (three
# daemons running, exactly one holder, the client reaching it):
#   node-lost     the node's eth0 set down and the daemon SIGKILLed (the node counts as dead for
#                 the two-holder check from then on)
#   process-kill  the daemon SIGKILLed, the node stays up (keepalived: its VRRP child and parent)
#   clean-stop    SIGTERM to the daemon
# Per trial: takeover (event -> first answer from another node), service gap (longest time
# without an answer around the event), and whether two live nodes held the VIP at once between
# the event and 1 s after the takeover. Afterwards the lab is restored: link up, daemon restarted.
#
# The systems:
#   kube-vip        3-node Raft cluster, election 300 ms / heartbeat 50 ms / leader lease 250 ms,
#                   probes 3 x 20 ms, VIP lifetime 1 s renewed every 200 ms; each node its own raft
#                   data dir (kept across restarts, so a restarted node rejoins).
#   keepalived-1    keepalived VRRPv3 (vrrp_version 3), advert_int 1, multicast (224.0.0.18) on the
#   keepalived-0.1  lab bridge, priorities 150/100/50, preemption on (the default; node1 has
#                   state MASTER), so every trial starts with node1 as master and node2 takes over.
#                   Restarting keepalived removes the VIP it left behind.
set -euo pipefail
FO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$FO_DIR/../../tests/e2e/lib/lab.sh"

TRIALS=5
SYSTEMS="kube-vip,keepalived-1,keepalived-0.1"
EVENTS="node-lost,process-kill,clean-stop"
OUT_DIR=""
CLUSTER_KEY=""
SETTLE=1.0      # seconds observed after the takeover (overlaps, flapping)
PRE_EVENT=0.3   # seconds of prober history before the event, plus a random 0-1 s (see run_trial)

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --trials) TRIALS=$2; shift ;;
    --quick) TRIALS=2 ;;
    --systems) SYSTEMS=$2; shift ;;
    --events) EVENTS=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    --cluster-key) CLUSTER_KEY=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ $TRIALS =~ ^[1-9][0-9]*$ ]] || { echo "--trials needs a positive number" >&2; exit 2; }
IFS=, read -r -a SYSTEM_LIST <<<"$SYSTEMS"
IFS=, read -r -a EVENT_LIST <<<"$EVENTS"
for s in "${SYSTEM_LIST[@]}"; do
  case "$s" in kube-vip | keepalived-1 | keepalived-0.1) ;; *) echo "unknown system $s" >&2; exit 2 ;; esac
done
for e in "${EVENT_LIST[@]}"; do
  case "$e" in node-lost | process-kill | clean-stop) ;; *) echo "unknown event $e" >&2; exit 2 ;; esac
done

lab_init "failover benchmark"
for s in "${SYSTEM_LIST[@]}"; do
  [ "$s" != kube-vip ] || lab_require_kubevip
  [ "$s" = kube-vip ] || command -v keepalived >/dev/null || fail "keepalived is not installed"
done
RESULTS="$LAB_DIR/trials.jsonl"
: >"$RESULTS"

# ---- clock -------------------------------------------------------------------------------------

# The tools log CLOCK_MONOTONIC; bash has only the wall clock without forking. The offset between
# the two is measured once per system (a fork), then an event's time costs no fork at all.
MONO_OFFSET_US=0
sync_clock() {
  MONO_OFFSET_US=$("$LAB_PYTHON" -S -c 'import time; print(round((time.monotonic() - time.time()) * 1e6))')
}
mono_now() {
  local t=$EPOCHREALTIME us
  us=$((${t/./} + MONO_OFFSET_US))
  printf '%d.%06d\n' $((us / 1000000)) $((us % 1000000))
}

# ---- the systems ---------------------------------------------------------------------------------
# sys_start NODE / sys_main_pid NODE / sys_kill_pids NODE / sys_running NODE / sys_reap NODE
# dispatch on $SYS.

SYS=""

kv_config() {
  local k=$1 leader=() key=""
  [ "$k" != 1 ] || leader=(--start-as-leader)
  if [ -n "$CLUSTER_KEY" ]; then
    [ -s "$LAB_DIR/cluster.key" ] || "$KUBEVIP_BIN" sample key >"$LAB_DIR/cluster.key"
    key=$'\n'"clusterKeyFile: $LAB_DIR/cluster.key"
  fi
  lab_write_config "$LAB_DIR/kv.node$k.yaml" --node "$k" --nodes 3 "${leader[@]}" \
    --lifetime 1s --renew 200ms --announce 3s --burst 3 --extra "election:
  timeout: 300ms
  heartbeat: 50ms
  leaderLease: 250ms
  probeInterval: 20ms
  probesUnanswered: 3$key"
}

ka_config() {  # ka_config K ADVERT_INT
  local k=$1 advert=$2 prio=(0 150 100 50) state=BACKUP
  [ "$k" != 1 ] || state=MASTER
  cat >"$LAB_DIR/ka.node$k.conf" <<EOF
# keepalived for node$k of the failover benchmark (lab $LAB_PREFIX)
global_defs {
  router_id node$k
  vrrp_version 3
  max_auto_priority -1
}
vrrp_instance VI_1 {
  state $state
  interface eth0
  virtual_router_id 51
  priority ${prio[$k]}
  advert_int $advert
  virtual_ipaddress {
    $LAB_VIP4/32 dev eth0
  }
}
EOF
}

sys_start() {
  local node=$1 k=${1#node}
  case "$SYS" in
    kube-vip)
      lab_start_kubevip "$node" "$LAB_DIR/kv.$node.yaml" "" --data-dir "$LAB_DIR/raft.$node" ;;
    keepalived-*)
      local base="$LAB_DIR/ka.$node" log="$LAB_DIR/$SYS.$node.log"
      rm -f "$base.pid" "$base.vrrp.pid" "$base.check.pid"
      echo "==== $(date -u +%T.%N) start keepalived ($SYS)" >>"$log"
      # Not through lab_exec: a function in the background is a subshell, and $! must be keepalived.
      ip netns exec "$(lab_ns "$node")" keepalived -n -l -D -P -f "$base.conf" -p "$base.pid" \
        -r "$base.vrrp.pid" -c "$base.check.pid" >>"$log" 2>&1 &
      LAB_BG_PID["ka.$node"]=$!
      ;;
  esac
}

sys_main_pid() {
  case "$SYS" in
    kube-vip) echo "${LAB_KV_PID[$1]:-}" ;;
    *) echo "${LAB_BG_PID[ka.$1]:-}" ;;
  esac
}

# The processes a crash takes down. keepalived's parent respawns a dead VRRP child and its child
# stops cleanly (priority 0) when the parent dies, so both are killed, the child first, in one call.
sys_kill_pids() {
  local main; main=$(sys_main_pid "$1")
  if [ "$SYS" != kube-vip ]; then
    local child
    child=$(cat "$LAB_DIR/ka.$1.vrrp.pid" 2>/dev/null || true)
    [ -z "$child" ] || echo "$child"
  fi
  echo "$main"
}

sys_running() {
  local pid; pid=$(sys_main_pid "$1")
  [ -n "$pid" ] && _lab_pid_alive "$pid" || return 1
  # keepalived is only up once its VRRP child runs.
  [ "$SYS" = kube-vip ] || [ -s "$LAB_DIR/ka.$1.vrrp.pid" ]
}

# sys_reap NODE: waits up to 5 s for the (signalled) daemon to exit, SIGKILLs it after that; sets
# REAP_RC to its exit status ("timeout" if it had to be killed). Not in a subshell: wait needs
# the parent shell.
REAP_RC=""
sys_reap() {
  local pid; pid=$(sys_main_pid "$1")
  REAP_RC=none
  [ -n "$pid" ] || return 0
  REAP_RC=0
  exec 3>&2 2>/dev/null  # no "Killed" job report from bash
  if ! wait_while 5 _lab_pid_alive "$pid"; then
    kill -KILL "$pid" || true
    REAP_RC=timeout
  fi
  if [ "$REAP_RC" = timeout ]; then wait "$pid" || true; else wait "$pid" || REAP_RC=$?; fi
  exec 2>&3 3>&-
  case "$SYS" in
    kube-vip) unset "LAB_KV_PID[$1]" ;;
    *) unset "LAB_BG_PID[ka.$1]" ;;
  esac
}

sys_setup() {
  local k
  for k in 1 2 3; do
    case "$SYS" in
      kube-vip) kv_config "$k" ;;
      keepalived-1) ka_config "$k" 1 ;;
      keepalived-0.1) ka_config "$k" 0.1 ;;
    esac
  done
  for k in 1 2 3; do sys_start "node$k"; done
}

sys_teardown() {
  local n pid
  for n in node1 node2 node3; do
    pid=$(sys_main_pid "$n")
    [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
  done
  for n in node1 node2 node3; do sys_reap "$n"; done
  for n in node1 node2 node3; do
    lab_exec "$n" ip addr del "$LAB_VIP4/32" dev eth0 2>/dev/null || true
  done
}

# ---- steady state ------------------------------------------------------------------------------

# steady_leader: prints the single VIP holder if the lab is steady: every daemon running, exactly
# one node holding the VIP (for keepalived node1, whose preemption has finished) and the client
# reaching it through the VIP.
steady_leader() {
  local n holders
  for n in node1 node2 node3; do sys_running "$n" || return 1; done
  holders=$(lab_vip_holders)
  [[ -n $holders && $holders != *" "* ]] || return 1
  [ "$SYS" = kube-vip ] || [ "$holders" = node1 ] || return 1
  [ "$(lab_fetch "$LAB_VIP4" 2>/dev/null)" = "$holders" ] || return 1
  echo "$holders"
}

# wait_steady TIMEOUT: waits until steady_leader names the same node twice 0.5 s apart.
STEADY_LEADER=""
wait_steady() {
  local deadline=$(($(_lab_us) + $(_lab_seconds_to_us "$1"))) a b
  while [ "$(_lab_us)" -lt "$deadline" ]; do
    if a=$(steady_leader); then
      sleep 0.5
      if b=$(steady_leader) && [ "$a" = "$b" ]; then
        STEADY_LEADER=$a
        return 0
      fi
    fi
    sleep 0.1
  done
  return 1
}

# ---- one trial ---------------------------------------------------------------------------------

# answered_by_other T OLD: true once the prober logged an answer, ending at or after T, from a
# node other than OLD.
answered_by_other() {
  tail -n 400 "$LAB_DIR/prober.tsv" |
    awk -v t="$1" -v old="$2" '$3 == "ok" && $2 + 0 >= t + 0 && $4 != old { f = 1; exit } END { exit !f }'
}

EVENT_TIME=""
EXIT_CODE=""
apply_event() {  # apply_event EVENT NODE
  local event=$1 node=$2 pids
  pids=$(sys_kill_pids "$node" | tr '\n' ' ')
  EXIT_CODE=""
  case "$event" in
    node-lost)
      exec 4>&2 2>/dev/null  # bash would report the "Killed" job
      EVENT_TIME=$(mono_now)
      lab_exec "$node" ip link set eth0 down
      # shellcheck disable=SC2086
      kill -KILL $pids
      echo "$(mono_now) $node down" >>"$LAB_DIR/liveness.log"
      sys_reap "$node"
      exec 2>&4 4>&-
      ;;
    process-kill)
      exec 4>&2 2>/dev/null
      EVENT_TIME=$(mono_now)
      # shellcheck disable=SC2086
      kill -KILL $pids
      sys_reap "$node"
      exec 2>&4 4>&-
      ;;
    clean-stop)
      EVENT_TIME=$(mono_now)
      kill -TERM "$(sys_main_pid "$node")"
      ;;
  esac
}

restore() {  # restore EVENT NODE
  local event=$1 node=$2
  sys_reap "$node"  # after a SIGKILL, already done by apply_event
  EXIT_CODE=$REAP_RC
  if [ "$event" = node-lost ]; then
    if [ "$SYS" = kube-vip ]; then
      # The VIP's kernel lifetime removes it from the lost node by itself (1 s after the last renewal).
      wait_while 3 lab_has_vip "$node" ||
        log "WARNING: $node still holds the VIP 3 s after it was lost; removing it"
    fi
    lab_exec "$node" ip addr del "$LAB_VIP4/32" dev eth0 2>/dev/null || true
    echo "$(mono_now) $node up" >>"$LAB_DIR/liveness.log"
    lab_exec "$node" ip link set eth0 up
  fi
  sys_start "$node"
  # A restarted Raft member needs a moment to load its log and hear from the leader.
  [ "$SYS" != kube-vip ] || sleep 1
}

# run_trial EVENT TRIAL: one measured trial; clears LAB_STEADY if the lab could not be brought
# to a steady state first (the remaining trials of the system are then skipped).
LAB_STEADY=1
run_trial() {
  local event=$1 trial=$2 leader timeout=6 end takeover_seen=1 result
  [ "$SYS" != keepalived-1 ] || timeout=10
  if ! wait_steady 30; then
    log "$SYS $event #$trial: the lab did not reach a steady state (holders: [$(lab_vip_holders)])"
    LAB_STEADY=0
    echo "{\"system\": \"$SYS\", \"event\": \"$event\", \"note\": \"no steady state before trial" \
      "$trial (holders: [$(lab_vip_holders)]); the remaining trials of $SYS were skipped\"}" >>"$RESULTS"
    return 0
  fi
  leader=$STEADY_LEADER
  # A random phase against the periodic timers (VRRP adverts every 1 s, VIP renewals every 200 ms):
  # the restore ends at a fixed time after the restarted daemon's first advert, so without it every
  # trial would hit the same point of the advert cycle.
  sleep "$PRE_EVENT"
  sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
  apply_event "$event" "$leader"
  wait_until "$timeout" answered_by_other "$EVENT_TIME" "$leader" || takeover_seen=0
  sleep "$SETTLE"
  end=$(mono_now)
  restore "$event" "$leader"
  result=$("$LAB_PYTHON" "$FO_DIR/analyze.py" trial --prober "$LAB_DIR/prober.tsv" \
    --event "$EVENT_TIME" --end "$end" --liveness "$LAB_DIR/liveness.log" \
    --holders "$LAB_DIR"/holders.node{1,2,3}.tsv \
    --field "system=$SYS" --field "event=$event" --field "trial=$trial" --field "leader=$leader" \
    --field "exit_code=$([ "$event" = clean-stop ] && echo "$EXIT_CODE")")
  echo "$result" >>"$RESULTS"
  log "$SYS $event #$trial: $result"
  [ $takeover_seen = 1 ] || log "$SYS $event #$trial: no takeover within ${timeout}s"
}

run_system() {
  SYS=$1
  log "==== $SYS"
  sync_clock
  sys_setup
  local event trial
  LAB_STEADY=1
  for event in "${EVENT_LIST[@]}"; do
    for ((trial = 1; trial <= TRIALS; trial++)); do
      [ $LAB_STEADY = 0 ] || run_trial "$event" "$trial"
    done
  done
  sys_teardown
}

# ---- main --------------------------------------------------------------------------------------

lab_create 3
lab_start_servers
lab_holders_start
# One attempt every 20 ms even while earlier ones wait (each up to 1 s): a blocking prober would
# see an outage only to its timeout's resolution.
lab_bg prober client "$LAB_PYTHON" "$LAB_TOOLS_DIR/prober.py" run --target "$LAB_VIP4" \
  --port "$LAB_SERVICE_PORT" --out "$LAB_DIR/prober.tsv" --interval 0.02 --timeout 1 --parallel
wait_until 5 grep -qs '^[0-9]' "$LAB_DIR/prober.tsv" || fail "prober did not start"
for s in "${SYSTEM_LIST[@]}"; do run_system "$s"; done
lab_bg_stop prober
for n in node1 node2 node3; do lab_bg_stop "holders.$n"; done

table=$("$LAB_PYTHON" "$FO_DIR/analyze.py" table "$RESULTS")
if [ -n "$OUT_DIR" ]; then
  mkdir -p "$OUT_DIR"
  echo "$table" >"$OUT_DIR/table.md"
  cp "$RESULTS" "$OUT_DIR/trials.jsonl"
  cp "$LAB_DIR"/*.log "$LAB_DIR"/*.tsv "$OUT_DIR/" 2>/dev/null || true
fi
echo
echo "Failover, $TRIALS trial(s) per cell, $(date -u +%F), kernel $(uname -r), $(nproc) CPUs:"
echo
echo "$table"
echo
lab_pass
