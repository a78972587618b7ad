#!/usr/bin/env bash
# The chaos run: every scenario of the list below in a namespace lab of its own (scenario.sh),
# then one report (report.py): trials, takeover times, service gaps, two-holder intervals and
# crashes per scenario. Fails when two live nodes held the VIP at once, when a daemon crashed or a
# sanitizer spoke, or when a scenario could not run.
#
#   tests/chaos/run.sh [--quick] [--trials N] [--scenarios LIST] [--out DIR] [--seed S] [--list]
#
#   --quick        one trial of each scenario in QUICK_SCENARIOS (the CI pass, a few minutes)
#   --trials N     N trials of every scenario instead of each one's own number
#   --scenarios L  comma list of scenario names (default: all, or the quick list)
#   --out DIR      results (default build/chaos/<UTC time>); DIR/report.md is the report
#   --seed S       the random timing's seed (each scenario derives its own; default: the time)
#   --list         print the scenarios with their trials and exit
#   Needs root. KUBEVIP_BIN chooses the daemon (default bin/kube-vip; an ASan build works too).
set -uo pipefail
CHAOS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$CHAOS_DIR/../.." && pwd)"

# name:trials. The numbers size the full run to about 20 minutes on a 2-core machine: a Raft trial
# takes 4-6 s, a Lease trial 8-15 s (leaseDuration 5 s), a rolling restart 15 s.
SCENARIOS=(
  raft3-leader-kill:20 raft3-leader-stop:20 raft3-leader-link-flap:15 raft3-partition-leader:15
  raft3-partition-follower:10 raft3-asymmetric:15 raft3-loss:10 raft3-follower-restart:15
  raft3-rolling-restart:3 raft3-backend-flap:15
  raft5-leader-kill:10 raft5-leader-stop:10 raft5-leader-link-flap:8 raft5-partition-leader:8
  raft5-partition-follower:6 raft5-asymmetric:8 raft5-loss:6
  lease3-leader-kill:6 lease3-follower-restart:5 lease3-apiserver-pause:6 lease3-apiserver-restart:6
  lease3-conflict-storm:5
)
QUICK_SCENARIOS=raft3-leader-kill,raft3-leader-stop,raft3-partition-leader,raft3-asymmetric,raft3-loss,raft3-backend-flap,raft5-leader-kill,lease3-leader-kill,lease3-conflict-storm

usage() { sed -n '7,15p' "$0" | sed 's/^# \{0,1\}//'; }
QUICK="" TRIALS="" ONLY="" OUT="" SEED=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --trials) TRIALS=$2; shift ;;
    --scenarios) ONLY=$2; shift ;;
    --out) OUT=$2; shift ;;
    --seed) SEED=$2; shift ;;
    --list) printf '%s\n' "${SCENARIOS[@]}" | tr ':' ' '; exit 0 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[ -z "$TRIALS" ] || [[ $TRIALS =~ ^[1-9][0-9]*$ ]] || { echo "--trials needs a positive number" >&2; exit 2; }
[ -n "$QUICK" ] && [ -z "$ONLY" ] && ONLY=$QUICK_SCENARIOS
[ -n "$QUICK" ] && [ -z "$TRIALS" ] && TRIALS=1
SEED=${SEED:-$(date +%s)}
OUT=${OUT:-$REPO_DIR/build/chaos/$(date -u +%Y%m%dT%H%M%S)}
mkdir -p "$OUT"
: >"$OUT/order.txt"  # the report lists the scenarios in the order they ran

declare -A KNOWN=()
for entry in "${SCENARIOS[@]}"; do KNOWN[${entry%%:*}]=${entry##*:}; done
selected=()
if [ -n "$ONLY" ]; then
  IFS=, read -r -a names <<<"$ONLY"
  for name in "${names[@]}"; do
    [ -n "${KNOWN[$name]:-}" ] || { echo "run.sh: unknown scenario $name (see --list)" >&2; exit 2; }
    selected+=("$name")
  done
else
  for entry in "${SCENARIOS[@]}"; do selected+=("${entry%%:*}"); done
fi

say() { printf '%s chaos: %s\n' "$(date -u +%T)" "$*"; }
say "seed $SEED, ${#selected[@]} scenario(s), results in $OUT"
started=$SECONDS
index=0
for name in "${selected[@]}"; do
  index=$((index + 1))
  trials=${TRIALS:-${KNOWN[$name]}}
  say "[$index/${#selected[@]}] $name: $trials trial(s)"
  echo "$name" >>"$OUT/order.txt"
  if ! bash "$CHAOS_DIR/scenario.sh" "$name" --trials "$trials" --seed "$((SEED + index))" \
    --out "$OUT/$name" >"$OUT/$name.log" 2>&1; then
    say "$name did not finish: $(grep -m1 '^FAIL' "$OUT/$name.log" || tail -n 1 "$OUT/$name.log")"
  fi
done
say "all scenarios ran in $((SECONDS - started)) s"
python3 "$CHAOS_DIR/report.py" "$OUT" --out "$OUT/report.md"
status=$?
if [ $status = 0 ]; then say "PASS: no two live holders, no crash"; else say "FAIL: see $OUT/report.md"; fi
exit $status
