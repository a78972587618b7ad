#!/usr/bin/env bash
# The etcd election benchmark: kube-vip electing through a three-member etcd cluster in the
# end-to-end lab (tests/e2e/lib/lab.sh and etcd.sh: three nodes, each with its etcd member on its
# own address, and a client), under the faults an etcd-backed control plane meets.
#
#   bench/etcd/run.sh [--rounds N] [--ttls "2 5"] [--scenarios LIST] [--etcd-timing default|fast]
#                     [--out DIR]
#
#   --rounds N        trials per scenario and TTL (default $ROUNDS or 5)
#   --ttls LIST       lease TTLs in seconds, space- or comma-separated (default "2 5")
#   --scenarios LIST  comma list of holder-kill, leader-kill-local, leader-kill-remote,
#                     quorum-loss-leader, quorum-loss-follower (default all)
#   --etcd-timing T   default (heartbeat 100 ms, election 1000 ms) or fast (50 / 500 ms)
#   --out DIR         also write DIR/table.md, DIR/trials.jsonl and the run's logs there
#   Needs root. KUBEVIP_BIN overrides the daemon (default bin/kube-vip of the checkout).
#
# Throughout: node_server.py on every node answers each TCP connection with the node's name; the
# client's prober connects to VIP:8080 every 20 ms (attempts in parallel, each up to 1 s); a
# watcher in every node logs when it holds the VIP. Every trial starts from a steady lab: the
# three members healthy, three daemons running, exactly one holder, named by the key, reached by
# the client, twice 0.5 s apart. Then, at a random phase (0-1 s) against the keep-alive cycle:
#
#   holder-kill           the holder's kube-vip SIGKILLed; takeover = first answer from another
#                         node; the daemon is restarted afterwards
#   leader-kill-local     etcd leadership moved to the member on the holder's node, which is
#                         then SIGKILLed (the holder's first endpoint and the etcd leader at once)
#   leader-kill-remote    etcd leadership moved to a member on another node, then SIGKILLed
#                         For both: 2 x TTL + 2 s observed: did the VIP move, the longest time
#                         the client got no answer; the member is restarted afterwards
#   quorum-loss-leader    the two members not on the holder's node SIGKILLed, the holder's member
#   quorum-loss-follower  being the etcd leader (it keeps answering keep-alives until it steps
#                         down) or a follower (it has no leader at once). Time from the loss to
#                         the holder dropping the VIP, against the validity deadline the daemon
#                         reported (`kube-vip status`, sampled every 50 ms); then the members are
#                         restarted and the time until a node holds the VIP again is taken
#
# At the end the whole run is checked for two live nodes holding the VIP at once.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$BENCH_DIR/../../tests/e2e/lib/lab.sh"
source "$BENCH_DIR/../../tests/e2e/lib/etcd.sh"

ROUNDS=${ROUNDS:-5}
TTLS="2 5"
SCENARIOS="holder-kill,leader-kill-local,leader-kill-remote,quorum-loss-leader,quorum-loss-follower"
OUT_DIR=""

usage() { sed -n '6,15p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift ;;
    --ttls) TTLS=${2//,/ }; shift ;;
    --scenarios) SCENARIOS=$2; shift ;;
    --etcd-timing) ETCD_TIMING=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "--rounds needs a positive number" >&2; exit 2; }
for ttl in $TTLS; do
  [[ $ttl =~ ^[0-9]+$ ]] && [ "$ttl" -ge 2 ] || { echo "a TTL is whole seconds >= 2, not '$ttl'" >&2; exit 2; }
done
IFS=, read -r -a SCENARIO_LIST <<<"$SCENARIOS"
for s in "${SCENARIO_LIST[@]}"; do
  case "$s" in
    holder-kill | leader-kill-local | leader-kill-remote | quorum-loss-leader | quorum-loss-follower) ;;
    *) echo "unknown scenario $s" >&2; exit 2 ;;
  esac
done
case "$ETCD_TIMING" in default | fast) ;; *) echo "--etcd-timing: default or fast" >&2; exit 2 ;; esac

lab_init "etcd election benchmark"
lab_require_kubevip
RESULTS="$LAB_DIR/trials.jsonl"
: >"$RESULTS"

# ---- clock (as in bench/failover): the tools log CLOCK_MONOTONIC; taking it costs no fork --------

MONO_OFFSET_US=0
sync_clock() {
  MONO_OFFSET_US=$("$LAB_PYTHON" -S -c 'import time; print(round((time.monotonic() - time.time()) * 1e6))')
}
mono_now() {
  local t=$EPOCHREALTIME us
  us=$((${t/./} + MONO_OFFSET_US))
  printf '%d.%06d\n' $((us / 1000000)) $((us % 1000000))
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# ---- the daemons ---------------------------------------------------------------------------------

TTL=""
start_node() { lab_start_kubevip "$1" "$LAB_DIR/$1.etcd.yaml"; }
start_daemons() {
  local n
  for n in $(lab_node_names); do
    etcd_write_kubevip_config "$LAB_DIR/$n.etcd.yaml" --node "$n" --ttl "${TTL}s"
    start_node "$n"
  done
}
stop_daemons() {
  local n
  for n in $(lab_node_names); do
    lab_kubevip_running "$n" || continue
    lab_stop_kubevip "$n" TERM 10 || fail "kube-vip on $n did not stop within 10 s of SIGTERM"
  done
}

# steady_holder: prints the holder if the lab is steady (see the header).
steady_holder() {
  local n m h
  for m in $(etcd_members); do etcd_running "$m" || return 1; done
  for n in $(lab_node_names); do lab_kubevip_running "$n" || return 1; done
  h=$(etcd_one_holder) || return 1
  [ "$(lab_fetch "$LAB_VIP4" 2>/dev/null)" = "$h" ] || return 1
  [ "$(etcd_get "$ETCD_KEY" 2>/dev/null | cut -d' ' -f1)" = "$h" ] || return 1
  echo "$h"
}
STEADY=""
wait_steady() {
  local deadline=$(($(_lab_us) + $(_lab_seconds_to_us "$1"))) a b
  while [ "$(_lab_us)" -lt "$deadline" ]; do
    if a=$(steady_holder); then
      sleep 0.5
      if b=$(steady_holder) && [ "$a" = "$b" ]; then
        STEADY=$a
        return 0
      fi
    fi
    sleep 0.2
  done
  return 1
}

# answered_by_other T OLD: the prober logged an answer ending at or after T from a node not OLD.
answered_by_other() {
  tail -n 400 "$LAB_DIR/prober.tsv" |
    awk -v t="$1" -v old="$2" '$3 == "ok" && $2 + 0 >= t + 0 && $4 != old { f = 1; exit } END { exit !f }'
}

random_phase() { sleep "0.$(printf '%03d' $((RANDOM % 1000)))"; }

# record SCENARIO ROUND EVENT END HOLDER [analyze.py options...]
record() {
  local scenario=$1 round=$2 event=$3 end=$4 holder=$5 result
  shift 5
  result=$("$LAB_PYTHON" "$BENCH_DIR/analyze.py" trial --prober "$LAB_DIR/prober.tsv" \
    --holders "$LAB_DIR"/holders.node{1,2,3}.tsv --event "$event" --end "$end" --holder "$holder" \
    --field "ttl=$TTL" --field "scenario=$scenario" --field "round=$round" "$@")
  echo "$result" >>"$RESULTS"
  log "TTL $TTL $scenario #$round: $result"
}

# ---- the scenarios -------------------------------------------------------------------------------

trial_holder_kill() {
  local round=$1 holder=$STEADY t end
  random_phase
  exec 4>&2 2>/dev/null  # bash would report the "Killed" job
  t=$(mono_now)
  kill -KILL "${LAB_KV_PID[$holder]}"
  lab_wait_exit "$holder" 5 || true
  exec 2>&4 4>&-
  wait_until $((3 * TTL + 5)) answered_by_other "$t" "$holder" ||
    log "TTL $TTL holder-kill #$round: no takeover within $((3 * TTL + 5)) s"
  sleep 1
  end=$(mono_now)
  start_node "$holder"
  record holder-kill "$round" "$t" "$end" "$holder" --field "killed=$holder"
}

trial_leader_kill() {
  local where=$1 round=$2 holder=$STEADY target m t end
  if [ "$where" = local ]; then
    target=$(etcd_member_of "$holder")
  else  # alternate between the two remote members
    local remote=()
    for m in $(etcd_members); do [ "$m" = "$(etcd_member_of "$holder")" ] || remote+=("$m"); done
    target=${remote[$((round % 2))]}
  fi
  etcd_move_leader "$target" && wait_until 3 eval '[ "$(etcd_leader)" = "$target" ]' ||
    { log "TTL $TTL leader-kill-$where #$round: could not make $target the etcd leader; skipped"; return 0; }
  sleep 1
  random_phase
  t=$(mono_now)
  etcd_kill "$target" KILL
  sleep $((2 * TTL + 2))
  end=$(mono_now)
  etcd_start "$target"
  etcd_wait_healthy 15 || fail "$target did not rejoin within 15 s"
  record "leader-kill-$where" "$round" "$t" "$end" "$holder" --field "killed=$target"
}

trial_quorum_loss() {
  local role=$1 round=$2 holder=$STEADY member m t t_back reheld end others=()
  member=$(etcd_member_of "$holder")
  for m in $(etcd_members); do [ "$m" = "$member" ] || others+=("$m"); done
  local want=$member
  [ "$role" = leader ] || want=${others[0]}
  etcd_move_leader "$want" && wait_until 3 eval '[ "$(etcd_leader)" = "$want" ]' ||
    { log "TTL $TTL quorum-loss-$role #$round: could not make $want the etcd leader; skipped"; return 0; }
  : >"$LAB_DIR/validity.tsv"
  etcd_validity_start "$holder" "$LAB_DIR/validity.tsv"
  sleep 1
  random_phase
  t=$(mono_now)
  for m in "${others[@]}"; do etcd_kill "$m" KILL; done
  wait_until $((TTL + 8)) _lab_not lab_has_vip "$holder" ||
    log "TTL $TTL quorum-loss-$role #$round: $holder kept the VIP $((TTL + 8)) s into the quorum loss"
  sleep 0.5
  etcd_validity_stop "$holder"
  cp "$LAB_DIR/validity.tsv" "$LAB_DIR/validity.$TTL.$role.$round.tsv"
  t_back=$(mono_now)
  for m in "${others[@]}"; do etcd_start "$m"; done
  etcd_wait_healthy 15 || fail "etcd did not recover within 15 s"
  reheld=""
  if wait_until $((3 * TTL + 10)) etcd_one_holder >/dev/null; then reheld=$(elapsed "$t_back" "$(mono_now)"); fi
  end=$(mono_now)
  record "quorum-loss-$role" "$round" "$t" "$end" "$holder" --validity "$LAB_DIR/validity.tsv" \
    --field "reheld_s=${reheld:-null}"
}

run_scenario() {  # run_scenario NAME ROUND
  case "$1" in
    holder-kill) trial_holder_kill "$2" ;;
    leader-kill-local) trial_leader_kill local "$2" ;;
    leader-kill-remote) trial_leader_kill remote "$2" ;;
    quorum-loss-leader) trial_quorum_loss leader "$2" ;;
    quorum-loss-follower) trial_quorum_loss follower "$2" ;;
  esac
}

# ---- main ----------------------------------------------------------------------------------------

lab_create 3
lab_start_servers
etcd_start_cluster
etcd_wait_healthy 15 || fail "the etcd cluster was not healthy within 15 s"
lab_holders_start
lab_bg prober client "$LAB_PYTHON" "$LAB_TOOLS_DIR/prober.py" run --target "$LAB_VIP4" \
  --port "$LAB_SERVICE_PORT" --out "$LAB_DIR/prober.tsv" --interval 0.02 --timeout 1 --parallel
wait_until 5 grep -qs '^[0-9]' "$LAB_DIR/prober.tsv" || fail "prober did not start"
sync_clock

for TTL in $TTLS; do
  log "==== TTL $TTL s, etcd timing $ETCD_TIMING, $ROUNDS round(s)"
  start_daemons
  for ((round = 1; round <= ROUNDS; round++)); do
    for s in "${SCENARIO_LIST[@]}"; do
      if ! wait_steady 40; then
        echo "{\"ttl\": $TTL, \"scenario\": \"$s\", \"note\": \"TTL $TTL: no steady lab before $s #$round (holders: [$(lab_vip_holders)]); the rest of this TTL was skipped\"}" >>"$RESULTS"
        log "TTL $TTL: no steady lab before $s #$round; skipping the rest of this TTL"
        break 2
      fi
      run_scenario "$s" "$round"
    done
  done
  stop_daemons
  # A clean stop revokes the holder's lease; wait for the key to go before the next TTL.
  wait_until 10 eval '[ -z "$(etcd_get "$ETCD_KEY" 2>/dev/null)" ]' || log "the key outlived the daemons"
done

lab_bg_stop prober
overlaps=$(lab_holders_check) && two_holders="none" || two_holders="FOUND: $overlaps"
table=$("$LAB_PYTHON" "$BENCH_DIR/analyze.py" table "$RESULTS")
summary="etcd election, $ROUNDS round(s) per cell, etcd timing $ETCD_TIMING, $(date -u +%F), kernel $(uname -r), $(nproc) CPUs, etcd $(etcd --version | awk 'NR == 1 { print $3 }')"
if [ -n "$OUT_DIR" ]; then
  mkdir -p "$OUT_DIR"
  { echo "$summary"; echo; echo "$table"; echo "two live holders at once: $two_holders"; } >"$OUT_DIR/table.md"
  cp "$RESULTS" "$OUT_DIR/trials.jsonl"
  cp "$LAB_DIR"/*.log "$LAB_DIR"/*.tsv "$LAB_DIR"/etcd/*.log "$OUT_DIR/" 2>/dev/null || true
fi
echo
echo "$summary:"
echo
echo "$table"
echo "two live holders at once: $two_holders"
[ "$two_holders" = none ] || fail "two live nodes held the VIP at once"
lab_pass
