#!/usr/bin/env bash
# make check-fresh: the README's two set-up commands, run as a new user would run them, on a fresh
# Debian 12 root: debootstrap --variant=minbase plus make, git and ca-certificates, a clone of the
# current commit, then `make demo` and `make test` as root inside it. A green run here means the
# project's own install script brings everything the demo and the tests need; a green run on a
# development machine cannot show that (tools installed by hand hide a missing install step).
#
# The root is built from the package mirror this machine's apt already uses (read from its apt
# configuration, so no mirror is named here). It runs in a private mount namespace, so that the
# tests can create network namespaces inside it and every mount disappears with the run. Packaged
# services are kept from starting inside the root (policy-rc.d), as in any chroot: they would
# otherwise run in this host's network namespace.
#
# Only committed work is checked (the clone is of HEAD). Needs root. Output: a log per step and
# the duration of each in $CHECK_FRESH_DIR (default /var/tmp/kube-vip-check-fresh).
set -euo pipefail

# shellcheck source=scripts/lib/debian-root.sh
. "$(dirname "$0")/lib/debian-root.sh"
repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
commit=$(git -C "$repo" rev-parse HEAD)
work=${CHECK_FRESH_DIR:-/var/tmp/kube-vip-check-fresh}
root=$work/root
suite=bookworm

say() { printf '%s check-fresh: %s\n' "$(date +%T)" "$*"; }
die() { say "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot, network namespaces)"
[ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ] ||
  say "note: uncommitted changes are not checked, only commit $commit"

mirror=$(debian_root_apt_source_uri "$suite" | head -n 1)
security=$(debian_root_apt_source_uri "$suite-security" | head -n 1)
[ -n "$mirror" ] || die "no apt source for $suite found in /etc/apt: cannot pick a mirror"

if ! command -v debootstrap >/dev/null; then
  say "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

# Any process a failed run left in the root, then the root itself.
kill_root_processes() { debian_root_kill_processes "$root"; }
cleanup() {
  kill_root_processes
  if [ -z "${CHECK_FRESH_KEEP:-}" ]; then rm -rf "$root"; fi
}
trap cleanup EXIT

mkdir -p "$work/debs"
kill_root_processes
rm -rf "$root"
timings=()
step() {  # step NAME COMMAND...: runs COMMAND with its output in $work/NAME.log, timed
  local name=$1 start=$SECONDS rc=0
  shift
  say "$name (log: $work/$name.log)"
  "$@" >"$work/$name.log" 2>&1 || rc=$?
  timings+=("$(printf '%-12s %4d s  %s' "$name" $((SECONDS - start)) "$([ $rc = 0 ] && echo ok || echo "FAILED ($rc)")")")
  if [ $rc != 0 ]; then
    tail -n 40 "$work/$name.log" >&2
    printf '%s\n' "${timings[@]}"
    die "$name failed with status $rc; the whole log is $work/$name.log"
  fi
}

step debootstrap debootstrap --variant=minbase --include=make,git,ca-certificates \
  --cache-dir="$work/debs" "$suite" "$root" "$mirror"

debian_root_configure "$root" "$suite" "$mirror" "$security"

step clone git clone --quiet --no-local "$repo" "$root/root/kube-vip"
git -C "$root/root/kube-vip" checkout --quiet "$commit"

# in_root COMMAND: a login-like root shell in the fresh root, in a mount namespace of its own.
in_root() { debian_root_run "$root" "cd /root/kube-vip && $*"; }

step make-demo in_root make demo
step make-test in_root make test

say "passed on a fresh Debian 12 root, commit $commit"
printf '%s\n' "${timings[@]}"
say "total $SECONDS s"
