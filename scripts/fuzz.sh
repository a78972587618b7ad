#!/usr/bin/env bash
# Builds every libFuzzer target (tests/<module>/fuzz/*_fuzz.cc, listed by CMake in
# build/fuzz/fuzz_targets.txt) with clang in build/fuzz, and runs each in turn on a COPY of its
# seed corpus, so that neither the inputs the fuzzer adds nor a crash file lands in the
# repository. Prints one line per target; exits 1 if any target crashed, leaked, hung or ran out
# of memory, keeping that input in build/fuzz/crashes/<target>-<kind>-<hash>.
#
#   FUZZ_SECONDS       total time, shared evenly between the targets (default 60; at least
#                      5 s each)
#   FUZZ_EACH_SECONDS  time per target instead (the longer runs of tests/FUZZING.md)
#   FUZZ_TARGETS       names of the targets to run, space-separated (default: all)
#   FUZZ_ARGS          more libFuzzer flags, e.g. -seed=1
#   JOBS               build parallelism (default: nproc)
set -euo pipefail

cd "$(dirname "$0")/.."
build=build/fuzz
total=${FUZZ_SECONDS:-60}
jobs=${JOBS:-$(nproc)}
read -r -a extra_args <<<"${FUZZ_ARGS:-}"

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKUBEVIP_FUZZ=ON >/dev/null
cmake --build "$build" --target fuzz_targets -j "$jobs" >/dev/null

targets=()
while read -r name binary corpus; do
  [[ -n "$name" ]] || continue
  if [[ -n "${FUZZ_TARGETS:-}" && " $FUZZ_TARGETS " != *" $name "* ]]; then continue; fi
  targets+=("$name $binary $corpus")
done <"$build/fuzz_targets.txt"
if ((${#targets[@]} == 0)); then
  echo "fuzz: no target matches FUZZ_TARGETS='${FUZZ_TARGETS:-}'" >&2
  exit 1
fi

each=${FUZZ_EACH_SECONDS:-$((total / ${#targets[@]}))}
((each >= 5)) || each=5

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The value after `key` in the last libFuzzer status line of a log ("#N DONE cov: 123 ft: ...").
last_stat() {
  grep -E "^#[0-9]+" "$1" | tail -n 1 | grep -oE "$2 [0-9]+" | awk '{print $2}' || true
}

failed=0
printf '%-22s %5s %12s %7s %8s %9s %7s\n' target secs executions cov features corpus crashes
for entry in "${targets[@]}"; do
  read -r name binary corpus <<<"$entry"
  dir="$work/$name"
  mkdir -p "$dir"
  cp -r "$corpus" "$dir/corpus"
  seeds=$(find "$dir/corpus" -type f | wc -l)
  # -timeout: an input that takes this long is a hang, reported like a crash.
  status=0
  "$binary" -max_total_time="$each" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$dir/" "${extra_args[@]}" "$dir/corpus" >"$dir/log" 2>&1 || status=$?
  artifacts=$(find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' \
    -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  execs=$(grep -oE '^stat::number_of_executed_units: [0-9]+' "$dir/log" | awk '{print $2}' || true)
  grown=$(find "$dir/corpus" -type f | wc -l)
  printf '%-22s %5s %12s %7s %8s %9s %7s\n' "$name" "$each" "${execs:-?}" \
    "$(last_stat "$dir/log" cov:)" "$(last_stat "$dir/log" ft:)" "$seeds->$grown" "$artifacts"
  if ((status != 0 || artifacts != 0)); then
    failed=1
    tail -n 60 "$dir/log" >&2
    mkdir -p "$build/crashes"
    for f in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-*; do
      [[ -e "$f" ]] && cp "$f" "$build/crashes/$name-$(basename "$f")"
    done
    echo "fuzz: $name failed (exit $status); the input is in $build/crashes/" >&2
  fi
done
exit "$failed"
