#!/usr/bin/env bash
# Soak: an hour of load through the balancer with the leader killed or frozen every minute, while
# the resident memory, descriptors and threads of every kube-vip process are sampled each second.
#
#   sudo bench/soak/run.sh [--minutes N] [--rate R] [--out DIR]
#
#   --minutes N   length of the measured run (default 60); one leader event per minute
#   --rate R      requests per second through the balancer (default 100)
#   --out DIR     also write DIR/table.md and the raw logs (samples, load, events, holders) there
#   Needs root and nginx. KUBEVIP_BIN overrides the daemon (default bin/kube-vip of the checkout).
#
# The lab (tests/e2e/lib/lab.sh): node1..node3 run kube-vip as a 3-node Raft cluster (each on its
# own data dir, kept across restarts; Raft authenticated with a cluster key; default election
# timings and log level, metrics server on: as users run it) with one tcp balancer on VIP:6443,
# bindToVip, health checks on, to three nginx backends on node4 (one nginx, worker_processes 1,
# three ports). The client runs load.py: a new connection and one GET per request, at a bounded
# rate, counting ok and failed requests per second.
#
# Every minute, 30 s into it, the node holding the VIP is hit, alternately:
#   odd minutes   SIGKILL; restarted 2 s later on its data dir (it rejoins as a follower)
#   even minutes  SIGSTOP for 3 s (5-10 election timeouts), then SIGCONT: the same process must
#                 find that it lost the leadership, stay without the VIP and rejoin; so some
#                 processes live through many leadership changes and their growth shows.
# holders.py watches the VIP in every node the whole time; a node counts as dead for the
# two-holder check while it is killed and while it is stopped (a frozen process cannot release
# anything), and live again from the moment it is restarted or continued. The check is also run
# with the stopped nodes counted live throughout (what a client sees: the frozen node's VIP
# expires by its kernel lifetime, and the new leader's probes wait for that).
#
# sample.py reads /proc for each node's current daemon every second; analyze.py prints the
# table (per 10 minutes, per process, totals).
# shellcheck source-path=SCRIPTDIR disable=SC2119  # the lab's optional arguments are not ours
set -euo pipefail
SOAK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../tests/e2e/lib/lab.sh
source "$SOAK_DIR/../../tests/e2e/lib/lab.sh"

MINUTES=60
RATE=100
OUT_DIR=""
usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ $MINUTES =~ ^[1-9][0-9]*$ ]] || { echo "--minutes needs a positive whole number" >&2; exit 2; }
[[ $RATE =~ ^[1-9][0-9]*$ ]] || { echo "--rate needs a positive whole number" >&2; exit 2; }

lab_init "soak"
lab_require nginx
lab_require_kubevip
LB_PORT=6443
BACKEND_NODE=node4
BACKEND_PORTS=(8081 8082 8083)
STOP_SECONDS=3       # SIGSTOP length; the election timeout is 300-600 ms by default
RESTART_DELAY=2      # seconds between a SIGKILL and the restart
EVENTS="$LAB_DIR/events.log"           # what the soak did, CLOCK_MONOTONIC
PIDS="$LAB_DIR/pids"                   # node -> current daemon, read by sample.py
KILLS_ONLY="$LAB_DIR/liveness.kills.log"  # liveness with only the killed spans
: >"$EVENTS"
: >"$KILLS_ONLY"

lab_create 4

# --- backends: one nginx on node4, three ports ----------------------------------------------

nginx_dir="$LAB_DIR/nginx"
mkdir -p "$nginx_dir/logs" "$nginx_dir/tmp"
{
  echo "worker_processes 1;"
  echo "daemon off;"
  echo "pid $nginx_dir/nginx.pid;"
  echo "error_log $nginx_dir/logs/error.log warn;"
  echo "events { worker_connections 4096; }"
  echo "http {"
  echo "  access_log off;"
  for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $nginx_dir/tmp/$t;"; done
  for port in "${BACKEND_PORTS[@]}"; do
    printf '  server { listen %s:%s; location / { default_type text/plain; return 200 "backend %s\\n"; } }\n' \
      "$(lab_ip4 $BACKEND_NODE)" "$port" "$port"
  done
  echo "}"
} >"$nginx_dir/nginx.conf"
lab_bg nginx $BACKEND_NODE nginx -p "$nginx_dir" -c "$nginx_dir/nginx.conf"
for port in "${BACKEND_PORTS[@]}"; do
  wait_until 5 _lab_listening $BACKEND_NODE "$port" || fail "nginx on port $port did not start"
done

# --- kube-vip ---------------------------------------------------------------------------------

backends_yaml=""
for port in "${BACKEND_PORTS[@]}"; do
  backends_yaml+="
      - {address: $(lab_ip4 $BACKEND_NODE), port: $port}"
done
(umask 077; "$KUBEVIP_BIN" sample key >"$LAB_DIR/cluster.key")
for k in 1 2 3; do
  leader_opt=()
  [ "$k" != 1 ] || leader_opt=(--start-as-leader)
  lab_write_config "$LAB_DIR/node$k.yaml" --node "$k" --nodes 3 "${leader_opt[@]}" \
    --extra "clusterKeyFile: $LAB_DIR/cluster.key
loadBalancers:
  - name: soak
    type: tcp
    port: $LB_PORT
    bindToVip: true
    healthCheck: {enabled: true, interval: 2s, timeout: 1s, rise: 2, fall: 2}
    backends:$backends_yaml"
done

# write_pids: publishes each node's current daemon to sample.py (rename: never half a file).
write_pids() {
  local n
  for n in node1 node2 node3; do
    [ -z "${LAB_KV_PID[$n]:-}" ] || echo "$n ${LAB_KV_PID[$n]}"
  done >"$PIDS.new"
  mv "$PIDS.new" "$PIDS"
}

# kv_start NODE: (re)starts NODE's daemon on its data dir at the default log level (the lab's
# lab_start_kubevip logs at debug level, an hour of which is not what a user's daemon does).
kv_start() {
  local node=$1 logfile="$LAB_DIR/$1.kubevip.log"
  echo "==== $(date -u +%T.%N) start" >>"$logfile"
  ip netns exec "$(lab_ns "$node")" env --default-signal=INT,QUIT "$KUBEVIP_BIN" start \
    -c "$LAB_DIR/$node.yaml" --data-dir "$LAB_DIR/raft.$node" \
    --statusSocket "$(lab_kv_socket "$node")" >>"$logfile" 2>&1 &
  LAB_KV_PID[$node]=$!
  LAB_KV_LOG[$node]=$logfile
  write_pids
  echo "$(lab_now) start $node ${LAB_KV_PID[$node]}" >>"$EVENTS"
}

single_holder() { [ "$(lab_vip_holders | wc -w)" = 1 ]; }

lab_holders_start
for n in node1 node2 node3; do kv_start "$n"; done
lab_bg sampler client "$LAB_PYTHON" "$SOAK_DIR/sample.py" --pids "$PIDS" --out "$LAB_DIR/samples.tsv"
wait_until 10 single_holder || fail "no single VIP holder within 10 s of the start"
wait_until 10 lab_exec client bash -c "exec 3<>/dev/tcp/$LAB_VIP4/$LB_PORT" 2>/dev/null ||
  fail "the balancer on VIP:$LB_PORT does not accept"
lab_bg load client "$LAB_PYTHON" "$SOAK_DIR/load.py" --target "$LAB_VIP4" --port "$LB_PORT" \
  --rate "$RATE" --out "$LAB_DIR/load.tsv"
wait_until 10 grep -qs '^[0-9]' "$LAB_DIR/load.tsv" || fail "the load client wrote nothing"

# --- the hour ---------------------------------------------------------------------------------

T0_US=$(_lab_us)
echo "$(lab_now) begin $MINUTES" >>"$EVENTS"
log "soak: $MINUTES minute(s), $RATE requests/s, holder: $(lab_vip_holders)"

# sleep_until OFFSET_S: sleeps until OFFSET_S seconds after the start of the measured run.
sleep_until() {
  local left=$((T0_US + $1 * 1000000 - $(_lab_us)))
  [ "$left" -le 0 ] || sleep "$((left / 1000000)).$(printf '%06d' $((left % 1000000)))"
}

kill_holder() {  # kill_holder NODE MINUTE: SIGKILL, restart after RESTART_DELAY
  local node=$1 minute=$2 pid=${LAB_KV_PID[$1]}
  lab_mark_dead "$node"
  echo "$(lab_now) $node dead" >>"$KILLS_ONLY"
  echo "$(lab_now) kill $node $pid $minute" >>"$EVENTS"
  exec 3>&2 2>/dev/null  # bash would report the "Killed" job
  kill -KILL "$pid"
  lab_wait_exit "$node" 5 || true
  exec 2>&3 3>&-
  unset "LAB_KV_PID[$node]"
  write_pids
  sleep "$RESTART_DELAY"
  # The killed daemon cannot remove its VIP; the kernel does, a lifetime (1 s) after the last
  # renewal. It must be gone before the node counts as live again.
  wait_while 3 lab_has_vip "$node" ||
    echo "$(lab_now) warning $node still holds the VIP ${RESTART_DELAY}+3 s after its SIGKILL" >>"$EVENTS"
  lab_mark_alive "$node"
  echo "$(lab_now) $node alive" >>"$KILLS_ONLY"
  kv_start "$node"
}

stop_holder() {  # stop_holder NODE MINUTE: SIGSTOP for STOP_SECONDS, then SIGCONT
  local node=$1 minute=$2 pid=${LAB_KV_PID[$1]}
  lab_mark_dead "$node"
  echo "$(lab_now) stop $node $pid $minute" >>"$EVENTS"
  kill -STOP "$pid"
  sleep "$STOP_SECONDS"
  # Live again before it runs: from its first instruction on, it must not hold the VIP beside
  # the new leader.
  lab_mark_alive "$node"
  kill -CONT "$pid"
  echo "$(lab_now) cont $node $pid $minute" >>"$EVENTS"
}

for ((minute = 1; minute <= MINUTES; minute++)); do
  sleep_until $(((minute - 1) * 60 + 30))
  if ! wait_until 10 single_holder; then
    echo "$(lab_now) skip - - $minute holders=[$(lab_vip_holders | tr ' ' ,)]" >>"$EVENTS"
    log "minute $minute: no single VIP holder ([$(lab_vip_holders)]); no event"
    continue
  fi
  holder=$(lab_vip_holders)
  if ((minute % 2 == 1)); then
    kill_holder "$holder" "$minute"
    log "minute $minute: SIGKILLed $holder, restarted it (pid ${LAB_KV_PID[$holder]})"
  else
    stop_holder "$holder" "$minute"
    log "minute $minute: stopped $holder for ${STOP_SECONDS}s; holder now [$(lab_vip_holders)]"
  fi
done
sleep_until $((MINUTES * 60))
echo "$(lab_now) end" >>"$EVENTS"

# --- results ----------------------------------------------------------------------------------

lab_bg_stop load
lab_bg_stop sampler
overlap_rc=0
lab_holders_check >"$LAB_DIR/overlap.json" 2>"$LAB_DIR/overlap.err" || overlap_rc=$?
"$LAB_PYTHON" "$LAB_TOOLS_DIR/holders.py" overlap --liveness "$KILLS_ONLY" \
  "$LAB_DIR"/holders.node*.tsv >"$LAB_DIR/overlap.stops-live.json" 2>/dev/null || true
for n in node1 node2 node3; do [ -z "${LAB_KV_PID[$n]:-}" ] || kill -TERM "${LAB_KV_PID[$n]}"; done
for n in node1 node2 node3; do lab_wait_exit "$n" 5 || true; done

header="$("$KUBEVIP_BIN" version 2>/dev/null | head -1); kernel $(uname -r), $(nproc) CPUs;"
header+=" $(date -u +%F); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
min_life=600
((MINUTES * 60 / 2 >= min_life)) || min_life=$((MINUTES * 60 / 2))
table=$("$LAB_PYTHON" "$SOAK_DIR/analyze.py" --dir "$LAB_DIR" --min-life "$min_life" --header "$header")
if [ -n "$OUT_DIR" ]; then
  mkdir -p "$OUT_DIR"
  echo "$table" >"$OUT_DIR/table.md"
  cp "$LAB_DIR"/*.tsv "$LAB_DIR"/*.log "$LAB_DIR"/*.json "$LAB_DIR"/node?.yaml "$OUT_DIR/" 2>/dev/null || true
fi
echo
echo "$table"
echo
[ "$overlap_rc" = 0 ] || fail "two live nodes held the VIP at once: $(cat "$LAB_DIR/overlap.json")"
lab_pass
