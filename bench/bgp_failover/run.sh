#!/usr/bin/env bash
# BGP failover benchmark: how fast a router (BIRD 2) follows kube-vip's leader, for the hold times
# 3 s and 30 s (kube-vip's default), in the end-to-end lab (tests/e2e/lib/lab.sh + routers.sh):
# three kube-vip nodes (Raft, BGP mode, AS 65001) and BIRD (AS 65000) on one bridge.
#
#   bench/bgp_failover/run.sh [--trials N] [--holds LIST] [--events LIST] [--out DIR]
#
#   --trials N    trials per hold time and event (default 3)
#   --holds L     comma list of kube-vip hold times in seconds (default 3,30; keepalive = hold/3)
#   --events L    comma list of node-lost, process-kill, clean-stop (default all three)
#   --out DIR     also write DIR/trials.tsv and DIR/table.md
#   Needs root, bird2, bin/kube-vip (or KUBEVIP_BIN=...).
#
# The events, applied to the leader, each trial from a steady lab (three sessions Established, the
# VIP's /32 only via the leader):
#   node-lost     eth0 down, then the daemon SIGKILLed: no FIN, no NOTIFICATION; BIRD notices only
#                 when the hold time runs out
#   process-kill  the daemon SIGKILLed, the node stays up: the kernel closes the TCP session
#   clean-stop    SIGTERM: kube-vip withdraws and sends Cease (RFC 4486)
# Per trial (seconds from the event): new_path (a path via the new leader appears), best (BIRD's
# best path goes via the new leader), old_gone (no path via the old leader is left).
# BIRD proposes hold time 240 s, so kube-vip's hold time is the one negotiated (the smaller,
# RFC 4271 §4.2). Times are read by polling `birdc` (about 50-100 ms a round).
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/e2e/lib/lab.sh
source "$BENCH_DIR/../../tests/e2e/lib/lab.sh"
# shellcheck source=tests/e2e/lib/routers.sh
source "$BENCH_DIR/../../tests/e2e/lib/routers.sh"
# shellcheck source=tests/e2e/lib/bgp_kubevip.sh
source "$BENCH_DIR/../../tests/e2e/lib/bgp_kubevip.sh"

TRIALS=3
HOLDS="3,30"
EVENTS="node-lost,process-kill,clean-stop"
OUT_DIR=""
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --trials) TRIALS=$2; shift ;;
    --holds) HOLDS=$2; shift ;;
    --events) EVENTS=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ $TRIALS =~ ^[1-9][0-9]*$ ]] || { echo "--trials needs a positive number" >&2; exit 2; }
IFS=, read -r -a HOLD_LIST <<<"$HOLDS"
IFS=, read -r -a EVENT_LIST <<<"$EVENTS"
for h in "${HOLD_LIST[@]}"; do
  if ! [[ $h =~ ^[0-9]+$ ]] || [ "$h" -lt 3 ]; then
    echo "hold time $h: whole seconds, 3 or more (RFC 4271 §4.2)" >&2
    exit 2
  fi
done
for e in "${EVENT_LIST[@]}"; do
  case "$e" in node-lost | process-kill | clean-stop) ;; *) echo "unknown event $e" >&2; exit 2 ;; esac
done

lab_init "BGP failover benchmark"
lab_require bird birdc
lab_require_kubevip
RESULTS="$LAB_DIR/trials.tsv"
printf 'hold\tevent\ttrial\told\tnew\tnew_path\tbest\told_gone\n' >"$RESULTS"
lab_create 3
router_create r1
BGP_ROUTER=r1
BGP_PREFIX=$LAB_VIP4/32
RADDR=$(router_ip4 r1)
router_start r1 bird --as "$BGP_ROUTER_AS" --hold 240 --gr helper \
  --neighbor "$(lab_ip4 node1),$BGP_KV_AS" --neighbor "$(lab_ip4 node2),$BGP_KV_AS" \
  --neighbor "$(lab_ip4 node3),$BGP_KV_AS"

start_cluster() {  # start_cluster HOLD: (re)writes every node's configuration and starts them
  local hold=$1 k leader_opt
  for k in 1 2 3; do
    leader_opt=()
    [ "$k" != 1 ] || leader_opt=(--start-as-leader)
    bgp_write_node_config "$k" --peer "$RADDR,$BGP_ROUTER_AS" --hold "$hold" \
      --keepalive $((hold / 3)) -- "${leader_opt[@]}"
    bgp_start_node "$k"
  done
}

stop_cluster() {
  local n
  for n in $(lab_node_names); do
    if lab_kubevip_running "$n"; then lab_stop_kubevip "$n" TERM 5 || lab_stop_kubevip "$n" KILL 2 || true; fi
  done
}

steady() {  # steady: sets LEADER once the lab is steady, or fails the run
  wait_until 20 bgp_single_holder || fail "no single VIP holder"
  LEADER=$(lab_vip_holders)
  wait_until 20 bgp_all_established r1 node1 node2 node3 || fail "not every session Established"
  wait_until 10 bgp_only_via "$(lab_ip4 "$LEADER")" || fail "the route does not go only via $LEADER: $(router_route_summary)"
}

# One trial: polls BIRD until the old leader's path is gone and the best path goes via another
# node; records the first time each fact was seen.
trial() {
  local hold=$1 event=$2 i=$3 old new="" new_path="" best="" old_gone="" route hops b t
  steady
  old=$LEADER
  case "$event" in
    node-lost) lab_link_down "$old"; bgp_t0; lab_kill "$old" KILL ;;
    process-kill) bgp_t0; lab_kill "$old" KILL ;;
    clean-stop) bgp_t0; lab_kill "$old" TERM ;;
  esac
  local deadline=$((hold * 2 + 15))
  while :; do
    route=$(router_route r1 "$BGP_PREFIX")
    t=$(bgp_elapsed)  # after the query: a fact counts from when it was read, an upper bound
    awk -v t="$t" -v d="$deadline" 'BEGIN { exit !(t > d) }' && break
    hops=$(awk '$1 == "nexthop" { print $2 }' <<<"$route")
    b=$(awk '$1 == "best" { print $2 }' <<<"$route")
    [ -n "$new" ] || new=$(bgp_holder_other_than "$old")
    if [ -n "$new" ]; then
      [ -n "$new_path" ] || ! grep -qxF "$(lab_ip4 "$new")" <<<"$hops" || new_path=$t
      [ -n "$best" ] || [ "$b" != "$(lab_ip4 "$new")" ] || best=$t
    fi
    [ -n "$old_gone" ] || grep -qxF "$(lab_ip4 "$old")" <<<"$hops" || old_gone=$t
    [ -z "$best" ] || [ -z "$old_gone" ] || break
    sleep 0.02
  done
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$hold" "$event" "$i" "$old" "${new:--}" \
    "${new_path:--}" "${best:--}" "${old_gone:--}" >>"$RESULTS"
  log "hold $hold s, $event #$i: $old -> ${new:-?}: new path ${new_path:--} s, best ${best:--} s, old path gone ${old_gone:--} s"
  # Restore: the link up, the daemon back on its data dir, its session up again.
  lab_wait_exit "$old" 5 || fail "kube-vip on $old did not exit"
  [ "$event" != node-lost ] || lab_link_up "$old"
  bgp_start_node "$old"
}

for hold in "${HOLD_LIST[@]}"; do
  start_cluster "$hold"
  for event in "${EVENT_LIST[@]}"; do
    for ((i = 1; i <= TRIALS; i++)); do trial "$hold" "$event" "$i"; done
  done
  stop_cluster
done

table() {
  "$LAB_PYTHON" - "$RESULTS" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
cells = {}
for r in rows:
    cells.setdefault((int(r["hold"]), r["event"]), []).append(r)
def fmt(values):
    v = [float(x) for x in values if x != "-"]
    missing = len(values) - len(v)
    if not v:
        return "never"
    s = "%.2f / %.2f" % (statistics.median(v), max(v))
    return s + (" (%d never)" % missing if missing else "")
print("| hold time | event | trials | new leader's path | best path moved | old path gone |")
print("|---|---|---|---|---|---|")
for (hold, event), rs in sorted(cells.items()):
    print("| %d s | %s | %d | %s | %s | %s |" % (hold, event, len(rs), fmt([r["new_path"] for r in rs]),
          fmt([r["best"] for r in rs]), fmt([r["old_gone"] for r in rs])))
print("\nSeconds from the event, median / max, as BIRD 2 sees it.")
PY
}
table
if [ -n "$OUT_DIR" ]; then
  mkdir -p "$OUT_DIR"
  cp "$RESULTS" "$OUT_DIR/trials.tsv"
  table >"$OUT_DIR/table.md"
fi
router_stop r1
