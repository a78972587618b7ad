#!/usr/bin/env bash
# Usage: tests/package/test_binaries.sh DIST_DIR
#
# The two stripped binaries of `make package`: each is an ELF program of its architecture without
# symbols, and each runs: `version` prints the version CMake set, `sample config` writes a
# configuration that `check -c` accepts. The arm64 one runs under user-mode emulation
# (qemu-aarch64-static; no binfmt registration), with the arm64 libraries of Debian's multiarch
# packages, as it would on a Raspberry Pi with Debian 12's libraries installed.
set -euo pipefail
export LC_ALL=C  # `file` and readelf output is matched below

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/package/lib.sh
. "$here/../../scripts/package/lib.sh"
[ $# -eq 1 ] || { echo "usage: $0 DIST_DIR" >&2; exit 2; }
dist=$(readlink -f "$1")
kubevip_load_package_env

work=$(mktemp -d /tmp/test_binaries.XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

for arch in amd64 arm64; do
  binary=$dist/kube-vip-linux-$arch
  case $arch in
    amd64) machine="Advanced Micro Devices X86-64" run=() ;;
    arm64) machine="AArch64" run=(qemu-aarch64-static) ;;
  esac
  [ -x "$binary" ] || { fail "$binary is missing or not executable"; continue; }
  if readelf -h "$binary" | grep -q "Machine: *$machine\$"; then pass "$arch: ELF for $machine"
  else fail "$arch: $binary is not an ELF program for $machine"; fi
  if readelf -S "$binary" | grep -qE '\.(symtab|debug_info)'; then fail "$arch: not stripped"
  else pass "$arch: stripped ($(stat -c %s "$binary") bytes)"; fi

  version=$("${run[@]}" "$binary" version 2>&1) || fail "$arch: 'version' failed: $version"
  if [ "$version" = "kube-vip $KUBEVIP_VERSION" ]; then pass "$arch: version prints '$version'"
  else fail "$arch: version printed '$version', expected 'kube-vip $KUBEVIP_VERSION'"; fi

  config=$work/config-$arch.yaml
  if "${run[@]}" "$binary" sample config >"$config" 2>"$work/err" &&
    "${run[@]}" "$binary" check -c "$config" >"$work/check" 2>&1; then
    pass "$arch: check -c accepts the sample configuration"
  else
    fail "$arch: sample config / check -c failed: $(cat "$work/err" "$work/check" 2>/dev/null)"
  fi
  # And refuses a broken one, naming what is wrong: the check really parses the file.
  printf 'vip: not-an-address\n' >"$work/bad.yaml"
  if "${run[@]}" "$binary" check -c "$work/bad.yaml" >"$work/check" 2>&1; then
    fail "$arch: check -c accepted a configuration with vip: not-an-address"
  else
    pass "$arch: check -c refuses a bad configuration ($(head -n 1 "$work/check"))"
  fi
done

[ "$failures" -eq 0 ] || { echo "test_binaries: $failures check(s) failed" >&2; exit 1; }
echo "test_binaries: all checks passed"
